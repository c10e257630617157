package dev.mailqueue.smtp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) for tests: answers from records registered
 * with {@link #mx}, {@link #a}, {@link #aaaa} and {@link #txt}; NXDOMAIN for unknown names (with an
 * SOA, so that the answer may be cached), NODATA for known names without the type; SERVFAIL or
 * silence where told. Counts the queries per name and type.
 */
final class DnsStub implements AutoCloseable {
  private static final long TTL = 300;

  private enum Behaviour {
    SERVFAIL,
    SILENT
  }

  private final DatagramSocket socket;
  private final Thread thread;
  private final Map<String, List<Record>> records = new ConcurrentHashMap<>();
  private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
  private volatile boolean running = true;

  DnsStub() throws SocketException {
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    thread = new Thread(this::serve, "dns-stub");
    thread.setDaemon(true);
    thread.start();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
  }

  DnsMxResolver.Builder resolver() {
    return DnsMxResolver.builder().servers(address()).timeout(Duration.ofMillis(500));
  }

  DnsStub mx(String domain, int preference, String target) {
    return add(new MXRecord(name(domain), DClass.IN, TTL, preference, name(target)));
  }

  /** A null MX (RFC 7505): {@code domain MX 0 .}. */
  DnsStub nullMx(String domain) {
    return add(new MXRecord(name(domain), DClass.IN, TTL, 0, Name.root));
  }

  DnsStub a(String host, String address) {
    return add(new ARecord(name(host), DClass.IN, TTL, literal(address)));
  }

  DnsStub aaaa(String host, String address) {
    return add(new AAAARecord(name(host), DClass.IN, TTL, literal(address)));
  }

  /**
   * Replaces the TXT records of {@code name} with one holding {@code text}, split into strings of
   * at most 255 characters as DNS requires; with a TTL of 0, so that a resolver's cache does not
   * keep it and a test can change it.
   */
  DnsStub txt(String name, String text) {
    String key = key(name);
    records.computeIfPresent(
        key,
        (k, list) -> {
          list.removeIf(r -> r.getType() == Type.TXT);
          return list;
        });
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < text.length(); i += 255) {
      strings.add(text.substring(i, Math.min(text.length(), i + 255)));
    }
    return add(new TXTRecord(name(name), DClass.IN, 0, strings));
  }

  /** Answers every query for {@code name} with SERVFAIL. */
  DnsStub servfail(String name) {
    behaviours.put(key(name), Behaviour.SERVFAIL);
    return this;
  }

  /** Never answers queries for {@code name}. */
  DnsStub silent(String name) {
    behaviours.put(key(name), Behaviour.SILENT);
    return this;
  }

  /** Queries received for {@code name} and {@code type} (e.g. {@code Type.MX}). */
  int queries(String name, int type) {
    AtomicInteger n = queries.get(key(name) + "/" + Type.string(type));
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() {
    running = false;
    socket.close();
  }

  private DnsStub add(Record r) {
    records.computeIfAbsent(key(r.getName().toString()), k -> new CopyOnWriteArrayList<>()).add(r);
    return this;
  }

  private void serve() {
    byte[] buffer = new byte[4096];
    while (running) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
        Message query = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
        Record question = query.getQuestion();
        String key = key(question.getName().toString());
        queries
            .computeIfAbsent(key + "/" + Type.string(question.getType()), k -> new AtomicInteger())
            .incrementAndGet();
        Behaviour behaviour = behaviours.get(key);
        if (behaviour == Behaviour.SILENT) {
          continue;
        }
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
          response.getHeader().setFlag(Flags.RD);
          response.getHeader().setFlag(Flags.RA);
        }
        response.addRecord(question, Section.QUESTION);
        List<Record> known = records.get(key);
        if (behaviour == Behaviour.SERVFAIL) {
          response.getHeader().setRcode(Rcode.SERVFAIL);
        } else if (known == null) {
          response.getHeader().setRcode(Rcode.NXDOMAIN);
          response.addRecord(soa(), Section.AUTHORITY);
        } else {
          List<Record> answers = new ArrayList<>();
          for (Record r : known) {
            if (r.getType() == question.getType()) {
              answers.add(r);
            }
          }
          answers.forEach(r -> response.addRecord(r, Section.ANSWER));
          if (answers.isEmpty()) {
            response.addRecord(soa(), Section.AUTHORITY);
          }
        }
        byte[] wire = response.toWire();
        socket.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
      } catch (IOException e) {
        if (!running) {
          return;
        }
      }
    }
  }

  private static SOARecord soa() {
    return new SOARecord(
        name("test"),
        DClass.IN,
        TTL,
        name("ns.test"),
        name("hostmaster.test"),
        1,
        3600,
        600,
        86400,
        60);
  }

  private static String key(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n : n + ".";
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text, Name.root);
    } catch (TextParseException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static InetAddress literal(String address) {
    try {
      return InetAddress.getByName(address); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
