/**
 * Spring Boot auto-configuration of a queue from {@code mailqueue.*} and {@code spring.mail.*}
 * properties.
 *
 * <p>Every type here is null-marked: a parameter, return value or record component accepts or
 * returns {@code null} only where it says {@code @Nullable}.
 */
@NullMarked
package dev.mailqueue.spring;

import org.jspecify.annotations.NullMarked;
