package dev.mailqueue.examples;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The import graph that ARCHITECTURE.md describes, checked on the compiled main classes of every
 * module: the API and SPI at the bottom, the engine above them, the adapters (store, transport)
 * above that, and the starter and the command line on top, with no cycle between packages. This
 * module builds after all the others, so their {@code target/classes} are there to read.
 */
class ArchitectureTest {
  private static final List<String> MODULES =
      List.of(
          "queue-api",
          "queue-jdbc",
          "queue-smtp",
          "queue-cli",
          "spring-autoconfigure",
          "mailqueue-test");

  /** The one engine class the API may name: MailQueue.builder() and Mail's checks go through it. */
  private static final String ENTRY_POINT = "dev.mailqueue.internal.Engine";

  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<Path> dirs = MODULES.stream().map(m -> root.resolve(m).resolve("target/classes")).toList();
    assertThat(dirs).as("the other modules are built before this one").allMatch(Files::isDirectory);
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPaths(dirs);
    assertThat(classes.stream().map(c -> c.getPackageName()).distinct())
        .contains(
            "dev.mailqueue",
            "dev.mailqueue.spi",
            "dev.mailqueue.internal",
            "dev.mailqueue.jdbc",
            "dev.mailqueue.smtp",
            "dev.mailqueue.cli",
            "dev.mailqueue.spring",
            "dev.mailqueue.test",
            "dev.mailqueue.test.spring");
  }

  @Test
  void theSpiKnowsNothingAboveIt() {
    noClasses()
        .that()
        .resideInAPackage("dev.mailqueue.spi")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(above("dev.mailqueue.internal.."))
        .check(classes);
  }

  @Test
  void theApiReachesTheEngineThroughOneEntryPointOnly() {
    noClasses()
        .that()
        .resideInAPackage("dev.mailqueue")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(above())
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("dev.mailqueue")
        .should()
        .dependOnClassesThat(
            DescribedPredicate.describe(
                "are engine classes other than internal.Engine",
                (JavaClass c) ->
                    c.getPackageName().equals("dev.mailqueue.internal")
                        && !c.getName().equals(ENTRY_POINT)
                        && !c.getName().startsWith(ENTRY_POINT + "$")))
        .check(classes);
  }

  @Test
  void theEngineKnowsNoAdapter() {
    noClasses()
        .that()
        .resideInAPackage("dev.mailqueue.internal..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(above())
        .check(classes);
  }

  @Test
  void adaptersUseTheApiAndSpiButNotTheEngineNorEachOther() {
    for (String adapter : List.of("jdbc", "smtp")) {
      String other = adapter.equals("jdbc") ? "dev.mailqueue.smtp.." : "dev.mailqueue.jdbc..";
      noClasses()
          .that()
          .resideInAPackage("dev.mailqueue." + adapter + "..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.mailqueue.internal..",
              other,
              "dev.mailqueue.cli..",
              "dev.mailqueue.spring..",
              "dev.mailqueue.test..")
          .check(classes);
    }
  }

  @Test
  void theStarterAndTheCommandLineStayApart() {
    noClasses()
        .that()
        .resideInAPackage("dev.mailqueue.spring..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.mailqueue.cli..", "dev.mailqueue.internal..", "dev.mailqueue.test..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("dev.mailqueue.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.mailqueue.spring..", "dev.mailqueue.internal..", "dev.mailqueue.test..")
        .check(classes);
  }

  /**
   * The test support is an adapter-like helper for applications' tests: it builds the queue through
   * the API on queue-jdbc, never reaches into the engine or the SMTP adapter, and its
   * framework-free core does not need Spring (only dev.mailqueue.test.spring does).
   */
  @Test
  void theTestSupportUsesTheApiAndTheJdbcStoreOnly() {
    noClasses()
        .that()
        .resideInAPackage("dev.mailqueue.test..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.mailqueue.internal..", "dev.mailqueue.smtp..", "dev.mailqueue.cli..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("dev.mailqueue.test")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.mailqueue.spring..", "org.springframework..")
        .check(classes);
  }

  @Test
  void noCycleBetweenPackages() {
    slices().matching("dev.mailqueue.(*)..").should().beFreeOfCycles().check(classes);
  }

  /** The adapter and application packages, and any extra ones given. */
  private static String[] above(String... more) {
    return Stream.concat(
            Stream.of(more),
            Stream.of(
                "dev.mailqueue.jdbc..",
                "dev.mailqueue.smtp..",
                "dev.mailqueue.cli..",
                "dev.mailqueue.spring..",
                "dev.mailqueue.test.."))
        .toArray(String[]::new);
  }
}
