package dev.mailqueue.cli;

import dev.mailqueue.spi.NetworkText;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with left-aligned columns separated by two spaces, like {@code postqueue -p}.
 */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  Table(String... header) {
    this.columns = header.length;
    rows.add(header);
  }

  Table row(Object... cells) {
    String[] r = new String[columns];
    for (int i = 0; i < columns; i++) {
      Object c = i < cells.length ? cells[i] : null;
      r[i] = c == null ? "-" : printable(c.toString());
    }
    rows.add(r);
    return this;
  }

  void print(PrintWriter out) {
    int[] width = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        sb.append(r[i]);
        if (i < columns - 1) {
          sb.append(" ".repeat(width[i] - r[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
    out.flush();
  }

  /**
   * {@code text} safe for a terminal: what a remote server or an old row put there (ESC, other
   * control characters, line breaks) is escaped as {@code \xNN} or folded to a space, so that no
   * reply can move the cursor, retitle the window or fake a line of output.
   */
  static String printable(String text) {
    return text == null ? null : NetworkText.sanitize(text, Integer.MAX_VALUE);
  }

  /** A compact age such as {@code 45s}, {@code 12m}, {@code 3h05m}, {@code 2d04h}. */
  static String age(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return s / 60 + "m";
    }
    if (s < 86400) {
      return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
    }
    return String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
  }
}
