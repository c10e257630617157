package dev.mailqueue.test.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;

/**
 * On a {@code @SpringBootTest}: the application's {@code MailQueue} works as in production (same
 * database, same transactions, same listeners) but its transport sends nothing; every message is
 * captured into the {@link dev.mailqueue.test.Mailbox} bean, which the test autowires. Deferred
 * mail is retried after 1 ms instead of minutes (attempts and lifetime as configured), so scripted
 * deferrals finish within {@code mailbox.awaitDelivered()}. The mailbox is cleared before each test
 * method.
 *
 * <p>Transactions: {@code enqueue} joins the current Spring transaction. In a test annotated
 * {@code @Transactional} that transaction is the test's own and is rolled back after the test, so
 * nothing is sent; to see the mail, commit it inside the test ({@code
 * TestTransaction.flagForCommit(); TestTransaction.end();}) and then call {@code
 * mailbox.awaitDelivered()}. Without {@code @Transactional} on the test, the service's own
 * transaction commits when its method returns.
 *
 * <p>It adjusts the starter's {@code MailQueue}; an application that defines a {@code MailQueue}
 * bean of its own builds it, in tests, with the mailbox's {@code transport()} and {@code
 * listener(...)}.
 *
 * <p>Imports the auto-configurations listed in {@code
 * META-INF/spring/dev.mailqueue.test.spring.AutoConfigureMailQueue.imports}, as Boot's own
 * {@code @AutoConfigure*} annotations do.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ImportAutoConfiguration
public @interface AutoConfigureMailQueue {}
