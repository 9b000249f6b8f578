package io.fanwire.gateway.subscription;

/**
 * A parsed channel name: {@code TOPIC} (every record of the topic) or {@code TOPIC/KEY} (the records whose
 * UTF-8 key is KEY; KEY is everything after the first {@code /}).
 *
 * @param key the record key, or null for a whole-topic channel
 */
public record ChannelName(String topic, String key) {

    /** Parses {@code channel}; throws {@link IllegalArgumentException} with a sentence for the client. */
    public static ChannelName parse(String channel, int maxLength) {
        if (channel.isEmpty()) {
            throw new IllegalArgumentException("channel is empty");
        }
        if (channel.length() > maxLength) {
            throw new IllegalArgumentException("channel is longer than " + maxLength + " characters");
        }
        int slash = channel.indexOf('/');
        if (slash < 0) {
            return new ChannelName(channel, null);
        }
        if (slash == 0) {
            throw new IllegalArgumentException("channel '" + channel + "' has an empty topic");
        }
        if (slash == channel.length() - 1) {
            throw new IllegalArgumentException("channel '" + channel + "' has an empty key");
        }
        return new ChannelName(channel.substring(0, slash), channel.substring(slash + 1));
    }

    public boolean wholeTopic() {
        return key == null;
    }

    @Override
    public String toString() {
        return key == null ? topic : topic + '/' + key;
    }
}
