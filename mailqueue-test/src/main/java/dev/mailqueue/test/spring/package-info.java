/**
 * Spring Boot test support: {@link dev.mailqueue.test.spring.AutoConfigureMailQueue} on a
 * {@code @SpringBootTest} replaces the starter's SMTP transport by a capturing one and adds a
 * {@link dev.mailqueue.test.Mailbox} bean. Needs {@code mailqueue-spring-boot-starter} and Spring's
 * test support on the test class path.
 */
@NullMarked
package dev.mailqueue.test.spring;

import org.jspecify.annotations.NullMarked;
