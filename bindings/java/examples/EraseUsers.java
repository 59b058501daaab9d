// Erases users by alias: every device bound to them is backed up, deleted
// through the bulk engine and checked again, with a report and a journal in
// the current directory. Run from anywhere with the jar and JNA on the class path:
//   ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... \
//     java -cp engagelab-push-0.1.0.jar:jna-5.19.1.jar EraseUsers.java ALIAS...
// Optional: ENGAGELAB_BASE_URL. Thread.interrupt() stops a run.
import io.github.engagelabpush.BulkException;
import io.github.engagelabpush.BulkOptions;
import io.github.engagelabpush.Client;
import io.github.engagelabpush.EngageLabException;
import io.github.engagelabpush.ErasedUser;
import io.github.engagelabpush.Erasure;
import java.nio.file.Path;
import java.util.List;

public class EraseUsers {
    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: EraseUsers ALIAS...");
            System.exit(2);
        }
        try (Client client = Client.fromEnv()) {
            Erasure erasure = client.eraseUsers(List.of(args), new BulkOptions()
                    .backup(Path.of("erased.backup.jsonl"))
                    .report(Path.of("erasure.report.jsonl"))
                    .journal(Path.of("erasure.journal")));
            for (ErasedUser u : erasure.users()) {
                if (u.stillBound() == null) {
                    System.out.println(u.alias() + ": not checked");
                } else if (u.stillBound().isEmpty()) {
                    System.out.println(u.alias() + ": no device bound");
                } else {
                    System.out.println(u.alias() + ": still bound: " + String.join(" ", u.stillBound()));
                }
            }
            System.out.println("deleted " + erasure.summary().deleted() + ", failed " + erasure.summary().failed());
            System.exit(erasure.isSuccess() ? 0 : 1);
        } catch (BulkException e) {
            // Refused before anything was sent (a bad alias, the guard, a
            // journal of other aliases, a failed lookup), or stopped because
            // a file could not be written.
            if (e.kind() == BulkException.Kind.WRITE_FAILED) {
                System.err.println("stopped after deleting " + e.summary().deleted() + ": " + e.getMessage());
            } else {
                System.err.println("nothing erased (" + e.kind() + "): " + e.getMessage());
            }
            System.exit(1);
        } catch (EngageLabException e) {
            System.err.println("nothing erased: " + e.getMessage());
            System.exit(1);
        }
    }
}
