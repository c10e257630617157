/**
 * The engine: dispatching, rendering, the retry decision. Not an API: reached from {@code
 * dev.mailqueue} only through {@link dev.mailqueue.internal.Engine}; the module does not export
 * this package, and its types change without notice.
 *
 * <p>Every type here is null-marked: a parameter, return value or record component accepts or
 * returns {@code null} only where it says {@code @Nullable}.
 */
@NullMarked
package dev.mailqueue.internal;

import org.jspecify.annotations.NullMarked;
