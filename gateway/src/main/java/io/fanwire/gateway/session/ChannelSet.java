package io.fanwire.gateway.session;

import io.fanwire.gateway.subscription.ChannelName;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The channels one connection is subscribed to, in subscription order: an array searched linearly. Most
 * connections hold a handful of channels, and a {@code LinkedHashSet} would cost about 200 bytes for one; the
 * array starts empty and shared, and {@code ws.max.subscriptions} bounds the scan. Not thread-safe.
 */
final class ChannelSet extends AbstractSet<ChannelName> {

    private static final ChannelName[] EMPTY = new ChannelName[0];

    private ChannelName[] channels = EMPTY;
    private int size;

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean contains(Object o) {
        return indexOf(o) >= 0;
    }

    @Override
    public boolean add(ChannelName channel) {
        if (indexOf(channel) >= 0) {
            return false;
        }
        if (size == channels.length) {
            channels = Arrays.copyOf(channels, Math.max(2, size * 2));
        }
        channels[size++] = channel;
        return true;
    }

    @Override
    public boolean remove(Object o) {
        int index = indexOf(o);
        if (index < 0) {
            return false;
        }
        removeAt(index);
        return true;
    }

    @Override
    public void clear() {
        channels = EMPTY;
        size = 0;
    }

    @Override
    public Iterator<ChannelName> iterator() {
        return new Iterator<>() {
            private int next;
            private boolean removable;

            @Override
            public boolean hasNext() {
                return next < size;
            }

            @Override
            public ChannelName next() {
                if (next >= size) {
                    throw new NoSuchElementException();
                }
                removable = true;
                return channels[next++];
            }

            @Override
            public void remove() {
                if (!removable) {
                    throw new IllegalStateException();
                }
                removable = false;
                removeAt(--next);
            }
        };
    }

    private int indexOf(Object o) {
        if (o == null) {
            return -1;
        }
        int hash = o.hashCode();
        for (int i = 0; i < size; i++) {
            ChannelName channel = channels[i];
            if (channel == o || (channel.hashCode() == hash && channel.equals(o))) {
                return i;
            }
        }
        return -1;
    }

    private void removeAt(int index) {
        System.arraycopy(channels, index + 1, channels, index, size - index - 1);
        channels[--size] = null;
    }
}
