// Deletes one device. Run from anywhere with the jar and JNA on the class path:
//   ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... \
//     java -cp engagelab-push-0.1.0.jar:jna-5.19.1.jar DeleteDevice.java REGISTRATION_ID
// Optional: ENGAGELAB_REGION (a region's short name) or ENGAGELAB_BASE_URL.
import io.github.engagelabpush.Client;
import io.github.engagelabpush.EngageLabException;
import io.github.engagelabpush.NotFoundException;

public class DeleteDevice {
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: DeleteDevice REGISTRATION_ID");
            System.exit(2);
        }
        String id = args[0];
        try (Client client = Client.fromEnv()) {
            System.out.println("deleting device " + id + " (libengagelab_push " + Client.libraryVersion() + ")");
            client.deleteDevice(id);
            System.out.println("deleted " + id);
        } catch (NotFoundException e) {
            // HTTP 404, or EngageLab's 400 with code 27002.
            System.err.println("no such device: " + e.getMessage());
            if (e.maybeDeleted()) {
                System.err.println("an earlier attempt of this call may have deleted it");
            }
            System.exit(1);
        } catch (EngageLabException e) {
            System.err.println(e.status() + ": " + e.getMessage());
            if (e.maybeDeleted()) {
                System.err.println("the device may be gone anyway: check before acting on this");
            }
            System.exit(1);
        }
    }
}
