package dev.mailqueue;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One recorded delivery attempt of a message.
 *
 * @param finishedAt when the attempt was recorded (database clock)
 * @param remoteHost the host that answered, or {@code null} if none did
 * @param outcome the message state the attempt led to
 * @param reply the reply that best describes the attempt (code, enhanced code, text), or {@code
 *     null}
 * @param duration how long the attempt took
 * @param counted whether it counted as an attempt (not for configuration faults or throttling)
 * @param uncertain whether the server gave no reply after the end of data (a copy may have arrived)
 */
public record AttemptView(
    Instant finishedAt,
    @Nullable String remoteHost,
    MessageState outcome,
    @Nullable SmtpReply reply,
    Duration duration,
    boolean counted,
    boolean uncertain) {}
