package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** check against the mock: the facts, a difference named, a bad id refused, only GETs sent. */
class CheckTest {
    @Test
    void reportsTheAnswersAndNamesDifferences() throws IOException {
        Mock mock = Mock.shared();
        mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"java-check\"}"));
        try (Client client = mock.client().build()) {
            CheckReport report = client.check("java-check");
            assertTrue(report.credentialsAccepted());
            assertEquals(400, report.unknownDeviceHttpStatus());
            assertEquals(27002, report.unknownDeviceApiCode());
            assertEquals(List.of(), report.findings());
            assertFalse(report.tlsVersion().isPresent());
            assertTrue(report.address().isPresent());
            assertTrue(report.clockSkewSeconds().isPresent());
            assertTrue(report.json().contains("\"kind\":\"device\""), report.json());

            mock.config("{\"unknown_device\":{\"status\":404,\"body\":\"\"}}");
            CheckReport other = client.check();
            assertEquals(404, other.unknownDeviceHttpStatus());
            assertEquals(List.of("unknown_device_answer"),
                    other.findings().stream().map(CheckReport.Finding::code).toList());
            assertTrue(mock.log().stream().allMatch(r -> r.get("method").asText().equals("GET")));

            mock.reset();
            assertThrows(InvalidArgumentException.class, () -> client.check("a b"));
            // An empty id is a bad one, not "no device": an unset variable must not skip the probe.
            InvalidArgumentException empty = assertThrows(InvalidArgumentException.class, () -> client.check(""));
            assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
            assertEquals(0, mock.log().size());
        }
    }
}
