"""Log content made inert per target: what each escaper does with markup, mentions, controls."""

from __future__ import annotations

from alerting.notify.markup import html_text, jira_wiki_text, markdown_text, slack_text


def test_html_escapes_tags_entities_and_quotes_and_drops_controls() -> None:
    assert html_text('<a href="x">Hà Nội</a> & \x1b[31m') == (
        "&lt;a href=&quot;x&quot;&gt;Hà Nội&lt;/a&gt; &amp;  [31m"
    )


def test_slack_escapes_only_its_three_characters() -> None:
    assert slack_text("<!here> & <http://evil|bấm> *đậm*") == (
        "&lt;!here&gt; &amp; &lt;http://evil|bấm&gt; *đậm*"
    )


def test_markdown_breaks_mass_mentions_and_escapes_links_and_emphasis() -> None:
    zwsp = "\u200b"
    assert markdown_text("@here @Channel @all user@everyone.vn") == (
        f"@{zwsp}here @{zwsp}Channel @{zwsp}all user@{zwsp}everyone.vn"
    )
    assert markdown_text("[x](http://evil) **b** `c` <@123>") == (
        r"\[x\]\(http\://evil\) \*\*b\*\* \`c\` \<@123\>"
    )


def test_newlines_cannot_start_a_new_markdown_line() -> None:
    assert markdown_text("a\n# heading\n- item") == r"a \# heading - item"


def test_jira_wiki_escapes_links_macros_and_formatting() -> None:
    assert jira_wiki_text("[bấm|http://evil] {code} *b* -s- !img.png!") == (
        r"\[bấm\|http://evil\] \{code\} \*b\* \-s\- \!img.png\!"
    )
