package dev.mailqueue.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A password-reset application: {@code POST /password-reset?email=...} stores a reset token and
 * queues the reset mail in one transaction. Without further configuration it runs the {@code demo}
 * profile: an in-memory H2 database, one seeded user and an in-process SMTP sink. With {@code
 * --demo.exit=true} it exits after the demo's first reset mail has arrived.
 */
@SpringBootApplication
public class PasswordResetApplication {

  public static void main(String[] args) {
    ConfigurableApplicationContext context =
        SpringApplication.run(PasswordResetApplication.class, args);
    if (context.getEnvironment().getProperty("demo.exit", Boolean.class, false)) {
      System.exit(SpringApplication.exit(context));
    }
  }
}
