package io.fanwire.client;

/**
 * Whether a text is exactly one JSON value (RFC 8259, strict: no comments, no unquoted strings, no trailing
 * text). Decides whether a payload has {@link FanwireMessage#data()}. Stateless; any thread.
 */
final class JsonCheck {

    private final String s;
    private int i;

    private JsonCheck(String s) {
        this.s = s;
    }

    static boolean isJson(String text) {
        JsonCheck check = new JsonCheck(text);
        try {
            check.space();
            check.value(0);
            check.space();
            return check.i == text.length();
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            return false;
        }
    }

    private void value(int depth) {
        if (depth > 512) {
            throw new IllegalArgumentException("too deep");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{' -> {
                i++;
                space();
                if (s.charAt(i) == '}') {
                    i++;
                    return;
                }
                while (true) {
                    space();
                    string();
                    space();
                    expect(':');
                    space();
                    value(depth + 1);
                    space();
                    if (s.charAt(i) == ',') {
                        i++;
                    } else {
                        expect('}');
                        return;
                    }
                }
            }
            case '[' -> {
                i++;
                space();
                if (s.charAt(i) == ']') {
                    i++;
                    return;
                }
                while (true) {
                    space();
                    value(depth + 1);
                    space();
                    if (s.charAt(i) == ',') {
                        i++;
                    } else {
                        expect(']');
                        return;
                    }
                }
            }
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
    }

    private void string() {
        expect('"');
        while (true) {
            char c = s.charAt(i++);
            if (c == '"') {
                return;
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("control character in a string");
            }
            if (c == '\\') {
                char e = s.charAt(i++);
                if (e == 'u') {
                    for (int k = 0; k < 4; k++) {
                        if (Character.digit(s.charAt(i++), 16) < 0) {
                            throw new IllegalArgumentException("bad \\u escape");
                        }
                    }
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    throw new IllegalArgumentException("bad escape");
                }
            }
        }
    }

    private void number() {
        int start = i;
        if (s.charAt(i) == '-') {
            i++;
        }
        if (s.charAt(i) == '0') {
            i++;
        } else {
            digits();
        }
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            digits();
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (s.charAt(i) == '+' || s.charAt(i) == '-') {
                i++;
            }
            digits();
        }
        if (i == start) {
            throw new IllegalArgumentException("not a value");
        }
    }

    private void digits() {
        int start = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        if (i == start) {
            throw new IllegalArgumentException("digit expected");
        }
    }

    private void literal(String word) {
        if (!s.startsWith(word, i)) {
            throw new IllegalArgumentException(word + " expected");
        }
        i += word.length();
    }

    private void expect(char c) {
        if (s.charAt(i) != c) {
            throw new IllegalArgumentException(c + " expected");
        }
        i++;
    }

    private void space() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n'
                || s.charAt(i) == '\r')) {
            i++;
        }
    }
}
