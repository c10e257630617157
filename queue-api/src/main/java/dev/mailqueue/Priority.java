package dev.mailqueue;

/**
 * Delivery priority. Due messages are claimed in priority order first, then by due time, so a
 * {@link #HIGH} password reset never waits behind a {@link #BULK} campaign. Defaults to {@link
 * #NORMAL}.
 */
public enum Priority {
  /** Transactional mail a user is waiting for: password resets, login codes. */
  HIGH(0),
  /** Ordinary application mail: receipts, notifications. */
  NORMAL(5),
  /** Newsletters and campaigns. */
  BULK(9);

  private final int rank;

  Priority(int rank) {
    this.rank = rank;
  }

  /** {@return the stored rank; lower is claimed first} */
  public int rank() {
    return rank;
  }

  /**
   * The priority with the given stored rank.
   *
   * @param rank the rank as stored
   * @return the priority
   * @throws IllegalArgumentException if no priority has this rank
   */
  public static Priority ofRank(int rank) {
    for (Priority p : values()) {
      if (p.rank == rank) {
        return p;
      }
    }
    throw new IllegalArgumentException("no priority with rank " + rank);
  }
}
