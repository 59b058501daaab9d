package io.github.engagelabpush;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Java strings as the NUL-terminated UTF-8 the C ABI takes. Two things a C
 * string cannot carry are refused here instead of being silently changed (which
 * could delete another device): a NUL character, which would cut the string
 * short, and a lone surrogate, which a lenient encoder would turn into
 * {@code '?'}. Both are reported as {@link InvalidArgumentException}, before
 * anything is sent (in the core's words, {@code el_error_describe}); every
 * other check is the core's.
 */
final class CStrings {
    private CStrings() {}

    static byte[] of(String name, String value) {
        Objects.requireNonNull(value, name);
        int n = value.length();
        byte[] ascii = new byte[n + 1];
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw nul(name);
            }
            if (c >= 0x80) {
                return encode(name, value);
            }
            ascii[i] = (byte) c;
        }
        return ascii;
    }

    private static byte[] encode(String name, String value) {
        if (value.indexOf('\0') >= 0) {
            throw nul(name);
        }
        ByteBuffer encoded;
        try {
            encoded =
                    StandardCharsets.UTF_8
                            .newEncoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .encode(CharBuffer.wrap(value));
        } catch (CharacterCodingException e) {
            throw Lib.ErrorRecord.invalidArgument(
                    name + " is not valid Unicode: it holds a lone surrogate");
        }
        byte[] out = new byte[encoded.remaining() + 1];
        encoded.get(out, 0, encoded.remaining());
        return out;
    }

    private static EngageLabException nul(String name) {
        return Lib.ErrorRecord.invalidArgument(
                name + " contains a NUL character, which a C string cannot carry");
    }
}
