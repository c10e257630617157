package dev.mailqueue.test;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LinksTest {
  @Test
  void textLinksEndBeforeSentencePunctuationAndQuotes() {
    assertThat(
            Links.find(
                "Open https://a.example/r?t=1&x=2. Or (https://b.example/p), \"http://c.example/q\"",
                null))
        .containsExactly(
            "https://a.example/r?t=1&x=2", "https://b.example/p", "http://c.example/q");
  }

  @Test
  void hrefsAreUnescapedAndOnlyHttpLinksKept() {
    assertThat(
            Links.find(
                null,
                "<a href=\"https://a.example/r?t=1&amp;x=2\">x</a> <a HREF='mailto:bob@example.org'>m</a>"
                    + " <a href=https://b.example/&#x41;&#66;>y</a>"))
        .containsExactly("https://a.example/r?t=1&x=2", "https://b.example/AB");
  }

  @Test
  void theSameLinkInTextAndHtmlIsListedOnce() {
    assertThat(
            Links.find(
                "go to https://a.example/r?t=1&x=2\n",
                "<a href=\"https://a.example/r?t=1&amp;x=2\">go</a>"))
        .containsExactly("https://a.example/r?t=1&x=2");
  }
}
