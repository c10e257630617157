/**
 * mailqueue's API, SPIs and engine. Only {@code dev.mailqueue} (the API) and {@code
 * dev.mailqueue.spi} (the seams a store and a transport implement) are exported; the engine in
 * {@code dev.mailqueue.internal} is not.
 */
module dev.mailqueue.api {
  requires transitive java.sql;
  requires transitive jakarta.mail;
  requires static transitive org.jspecify;
  requires java.management;
  requires org.slf4j;
  // Angus is the Jakarta Mail implementation that renders every message (found as a service).
  requires org.eclipse.angus.mail;

  exports dev.mailqueue;
  exports dev.mailqueue.spi;
}
