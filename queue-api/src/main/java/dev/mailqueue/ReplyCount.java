package dev.mailqueue;

import org.jspecify.annotations.Nullable;

/**
 * How many recipients are in one status because of one reply, for summaries such as "bounced: 12 x
 * 550 5.1.1 user unknown".
 *
 * @param status the recipient status
 * @param reply the last reply those recipients got ({@code null} for recipients never tried)
 * @param recipients how many recipients
 */
public record ReplyCount(RecipientStatus status, @Nullable SmtpReply reply, long recipients) {}
