package io.github.engagelabpush;

import com.sun.jna.Memory;
import com.sun.jna.Native;
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
 * other check is the core's. Lists of names travel as C arrays of such
 * strings ({@link #array}).
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

    /**
     * Names as the C ABI's array of C strings ({@code const char *const *}):
     * one native block holding the pointers, then the strings, each checked
     * as {@link #of} checks a string and named {@code name[i]}; null (NULL)
     * for no names. Keep it reachable until the call returns. A null array
     * or element throws {@link NullPointerException}; every other check of
     * the names is the core's.
     */
    static Memory array(String name, String[] values) {
        Objects.requireNonNull(values, name);
        byte[][] encoded = new byte[values.length][];
        long size = (long) Native.POINTER_SIZE * values.length;
        for (int i = 0; i < values.length; i++) {
            String element = name + "[" + i + "]";
            encoded[i] = of(element, Objects.requireNonNull(values[i], element));
            size += encoded[i].length;
        }
        if (values.length == 0) {
            return null;
        }
        Memory block = new Memory(size);
        long at = (long) Native.POINTER_SIZE * values.length;
        for (int i = 0; i < encoded.length; i++) {
            block.write(at, encoded[i], 0, encoded[i].length);
            block.setPointer((long) Native.POINTER_SIZE * i, block.share(at));
            at += encoded[i].length;
        }
        return block;
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
