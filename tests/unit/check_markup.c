/* check_markup.c - the one markup escaper (core/markup.h), read back by an
 * XML parser, and the one remove-tree (core/fs.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/markup.h"
#include "core/proc.h"
#include "suites.h"

/* TEXT escaped with OPTIONS, in a string the caller frees. */
static char *escaped(const char *text, unsigned options)
{
    char *out;
    size_t size;
    FILE *f = open_memstream(&out, &size);

    ck_assert_ptr_nonnull(f);
    markup_write(f, text, options);
    ck_assert_int_eq(fclose(f), 0);
    return out;
}

static void assert_escaped(const char *text, unsigned options, const char *expected)
{
    char *out = escaped(text, options);
    ck_assert_msg(strcmp(out, expected) == 0, "'%s' became '%s', expected '%s'", text, out,
                  expected);
    free(out);
}

START_TEST(markup_escapes_what_markup_means)
{
    assert_escaped("a < b && c > \"d\"", 0, "a &lt; b &amp;&amp; c &gt; &quot;d&quot;");
    assert_escaped("o'brien", 0, "o'brien");
    assert_escaped("o'brien", MARKUP_APOSTROPHE, "o&#39;brien");
    assert_escaped("caf\xc3\xa9 \xe2\x98\x95", 0, "caf\xc3\xa9 \xe2\x98\x95");
    assert_escaped(NULL, 0, "");
}
END_TEST

START_TEST(markup_keeps_newlines_and_tabs_as_a_parser_reads_them)
{
    assert_escaped("a\n\tb", 0, "a\n\tb");
    assert_escaped("a\n\tb", MARKUP_ATTRIBUTE, "a&#10;&#9;b");
}
END_TEST

/* What XML 1.0 cannot carry, and what a browser would act on, is shown,
 * the same way in JUnit XML and in HTML: \r (a parser reads a raw one as a
 * newline), other C0 controls, DEL, C1 controls, U+FFFE, U+FFFF and
 * bidirectional overrides; so are bytes that are not UTF-8, each distinct. */
START_TEST(markup_shows_what_it_cannot_carry)
{
    assert_escaped("line\r\n", 0, "line\\r\n");
    assert_escaped("\x01\x1b[31m\x7f", 0, "\\x01\\e[31m\\x7f");
    assert_escaped("\xc2\x85 \xef\xbf\xbe \xef\xbf\xbf", 0, "\\u0085 \\ufffe \\uffff");
    assert_escaped("\xe2\x80\xae"
                   "evil",
                   MARKUP_APOSTROPHE, "\\u202eevil");
    assert_escaped("bad \xff\xfe end", 0, "bad \\xff\\xfe end");
    assert_escaped("\xe2\x82", 0, "\\xe2\\x82");
}
END_TEST

/* Every byte sequence gives a document xmllint reads, as text and as an
 * attribute value. */
START_TEST(markup_of_every_byte_is_well_formed_xml)
{
    char all[256 * 2 + 16], path[] = "/tmp/shmlab-markup-XXXXXX";
    size_t n = 0;
    int fd = mkstemp(path);
    FILE *f;

    ck_assert_int_ge(fd, 0);
    for (int c = 1; c < 256; c++)
        all[n++] = (char)c;
    memcpy(all + n, "\xef\xbf\xbe\xef\xbf\xbf", 6); /* U+FFFE, U+FFFF */
    all[n + 6] = '\0';
    f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<doc a=\"", f);
    markup_write(f, all, MARKUP_ATTRIBUTE | MARKUP_APOSTROPHE);
    fputs("\">", f);
    markup_write(f, all, 0);
    fputs("</doc>\n", f);
    ck_assert_int_eq(fclose(f), 0);

    const char *argv[] = {"/usr/bin/xmllint", "--noout", path, NULL};
    struct proc *p = proc_spawn(argv, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert(proc_wait(p, 30000));
    ck_assert_msg(p->state == PROC_EXITED && p->exit_code == 0, "xmllint: %s", p->err.head);
    proc_free(p);
    unlink(path);
}
END_TEST

static void make_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
    ck_assert_int_eq(close(fd), 0);
}

/* A tree with folders, files, an unreadable folder and links (one to a
 * folder outside it) goes entirely; what the links point at stays. */
START_TEST(remove_tree_removes_everything_and_follows_no_link)
{
    char base[] = "/tmp/shmlab-tree-XXXXXX", path[512], outside[512], keep[512];
    size_t removed = 0;

    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(outside, sizeof(outside), "%s/outside", base);
    ck_assert_int_eq(mkdir(outside, 0755), 0);
    snprintf(keep, sizeof(keep), "%s/outside/keep.txt", base);
    make_file(keep);
    snprintf(path, sizeof(path), "%s/tree", base);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/tree/a", base);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/tree/a/b", base);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/tree/a/b/file.c", base);
    make_file(path);
    snprintf(path, sizeof(path), "%s/tree/a/link", base);
    ck_assert_int_eq(symlink(outside, path), 0);
    snprintf(path, sizeof(path), "%s/tree/dangling", base);
    ck_assert_int_eq(symlink("/nonexistent", path), 0);

    snprintf(path, sizeof(path), "%s/tree", base);
    ck_assert_int_eq(remove_tree(path, &removed), 0);
    ck_assert_uint_eq(removed, 6);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(access(keep, F_OK), 0);
    /* Gone already, or a plain file: both fine. */
    ck_assert_int_eq(remove_tree(path, NULL), 0);
    ck_assert_int_eq(remove_tree(keep, NULL), 0);
    ck_assert_int_eq(access(keep, F_OK), -1);
    ck_assert_int_eq(remove_tree(base, NULL), 0);
}
END_TEST

Suite *markup_suite(void)
{
    return SUITE_OF("markup and files", 0, markup_escapes_what_markup_means,
                    markup_keeps_newlines_and_tabs_as_a_parser_reads_them,
                    markup_shows_what_it_cannot_carry, markup_of_every_byte_is_well_formed_xml,
                    remove_tree_removes_everything_and_follows_no_link);
}
