package dev.mailqueue.smtp;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/** The class path for a child JVM that runs one of this module's test classes. */
final class ChildJvm {

  private ChildJvm() {}

  /**
   * The test JVM's class path followed by its module path: Surefire runs this module's tests on the
   * module path, where the module's own classes and its dependencies are on {@code jdk.module.path}
   * and only the test classes and test dependencies on {@code java.class.path}; the child runs
   * everything from its class path.
   */
  static String classPath() {
    List<String> entries = new ArrayList<>();
    for (String property : List.of("java.class.path", "jdk.module.path")) {
      String value = System.getProperty(property);
      if (value != null && !value.isEmpty()) {
        entries.add(value);
      }
    }
    return String.join(File.pathSeparator, entries);
  }
}
