#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""gen-inputs.py: the benchmark inputs of bench/run.sh, deterministic.

Usage: gen-inputs.py DIR [MAILBOX_MESSAGES]
Writes into DIR:
  dsn-5k.eml        a 5 KB RFC 3464 DSN (multipart/report) whose original
                    (text/rfc822-headers) has Message-ID BENCH_ID
  ordinary-50k.eml  a 50 KB ordinary list message (multipart/alternative)
  attach-1m.eml     a 1 MB message with two base64 attachments
  bounce-50m.eml    a 50 MB DSN carrying its whole original (message/rfc822)
                    with a 50 MB base64 attachment
  sent.eml          a sent message (what `record` sees in the common case)
  sent-maildir/     MAILBOX_MESSAGES sent messages as a maildir (default 100000)
  sent.mbox         the same messages as one mbox
Random bytes come from a fixed seed, so every run sees the same files.
"""
import base64
import os
import random
import sys

BENCH_ID = "20261120093000.bench-0001@mail.example.org"
rng = random.Random(20261123)

WORDS = ("the of and to in is that for it as with was on be by this are from "
         "at or an have not but which all were when we there can if more one "
         "kernel patch journal block inode mount driver tape report").split()


def prose(nbytes, width=72):
    lines, line, total = [], [], 0
    while total < nbytes:
        word = rng.choice(WORDS)
        if sum(len(w) + 1 for w in line) + len(word) > width:
            text = " ".join(line)
            lines.append(text)
            total += len(text) + 1
            line = []
        line.append(word)
    return "\n".join(lines) + "\n"


def b64_lines(nbytes):
    data = rng.randbytes(nbytes)
    text = base64.b64encode(data).decode()
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76)) + "\n"


def original_header(msgid, to="old.friend@example.net"):
    return (
        "Return-Path: <user@example.org>\n"
        "Received: from mail.example.org ([192.0.2.25])\n"
        "\tby mx.example.net with esmtps (TLS1.3) (Exim 4.96)\n"
        "\tid 1sXyZ9-000120-2C\n"
        f"\tfor {to}; Fri, 20 Nov 2026 09:30:01 +0000\n"
        f"Message-ID: <{msgid}>\n"
        "Date: Fri, 20 Nov 2026 09:30:00 +0000\n"
        "From: A User <user@example.org>\n"
        f"To: Old Friend <{to}>\n"
        "Subject: Lunch on Thursday?\n"
        "MIME-Version: 1.0\n")


def dsn(original_part, size_hint_text=2400):
    boundary = "=_report_boundary_0001"
    head = (
        "Return-Path: <>\n"
        "Received: from mx.example.net (mx.example.net [198.51.100.7])\n"
        "\tby mail.example.org (Postfix) with ESMTPS id 4XyZ1b2C3d\n"
        "\tfor <user@example.org>; Fri, 20 Nov 2026 09:30:06 +0000 (UTC)\n"
        "Date: Fri, 20 Nov 2026 09:30:05 +0000\n"
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "To: user@example.org\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f"Content-Type: multipart/report; report-type=delivery-status;\n"
        f"\tboundary=\"{boundary}\"\n"
        "Message-Id: <20261120093005.4XyZ1b2C3d@mx.example.net>\n"
        "\n"
        "This is a MIME-encapsulated message.\n\n")
    text = (
        "This is the mail system at host mx.example.net.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "For further assistance, please send mail to postmaster.\n\n"
        "If you do so, please include this problem report. You can\n"
        "delete your own text from the attached returned message.\n\n"
        "                   The mail system\n\n"
        "<old.friend@example.net>: host mx.example.net[198.51.100.7] said:\n"
        "    550 5.1.1 <old.friend@example.net>: Recipient address rejected:\n"
        "    User unknown in virtual mailbox table (in reply to RCPT TO command)\n")
    text += "\n" + prose(size_hint_text)
    status = (
        "Reporting-MTA: dns; mx.example.net\n"
        "X-Postfix-Queue-ID: 4XyZ1b2C3d\n"
        "X-Postfix-Sender: rfc822; user@example.org\n"
        "Arrival-Date: Fri, 20 Nov 2026 09:30:01 +0000 (UTC)\n\n"
        "Final-Recipient: rfc822; old.friend@example.net\n"
        "Original-Recipient: rfc822;old.friend@example.net\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        "Remote-MTA: dns; mx.example.net\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <old.friend@example.net>: Recipient\n"
        "    address rejected: User unknown in virtual mailbox table\n")
    return (head +
            f"--{boundary}\nContent-Description: Notification\n"
            "Content-Type: text/plain; charset=us-ascii\n\n" + text + "\n"
            f"--{boundary}\nContent-Description: Delivery report\n"
            "Content-Type: message/delivery-status\n\n" + status + "\n"
            f"--{boundary}\n" + original_part + f"\n--{boundary}--\n")


def dsn_5k():
    part = ("Content-Description: Undelivered Message Headers\n"
            "Content-Type: text/rfc822-headers\n\n" + original_header(BENCH_ID))
    return dsn(part)


def bounce_50m():
    inner = "=_original_mixed_0001"
    original = (original_header(BENCH_ID) +
                f"Content-Type: multipart/mixed; boundary=\"{inner}\"\n\n"
                f"--{inner}\nContent-Type: text/plain; charset=us-ascii\n\n"
                + prose(2000) +
                f"\n--{inner}\nContent-Type: application/octet-stream; name=\"data.bin\"\n"
                "Content-Transfer-Encoding: base64\n"
                "Content-Disposition: attachment; filename=\"data.bin\"\n\n"
                + b64_lines(37 * 1024 * 1024) + f"\n--{inner}--\n")
    part = ("Content-Description: Undelivered Message\n"
            "Content-Type: message/rfc822\n\n" + original)
    return dsn(part)


def list_header(n, subject):
    return (
        "Return-Path: <jfs-discussion-bounces@lists.example.net>\n"
        "Received: from lists.example.net (lists.example.net [203.0.113.9])\n"
        "\tby mail.example.org (Postfix) with ESMTP id 4Ab%05d\n"
        "\tfor <user@example.org>; Tue, 17 Nov 2026 10:00:00 +0000 (UTC)\n"
        "Received: from author.example.com (author.example.com [203.0.113.50])\n"
        "\tby lists.example.net (Postfix) with ESMTP id 9Zz%05d\n"
        "\tfor <jfs-discussion@lists.example.net>; Tue, 17 Nov 2026 09:59:58 +0000\n"
        "Date: Tue, 17 Nov 2026 09:59:57 +0000\n"
        "From: Some Author <author@example.com>\n"
        "To: jfs-discussion@lists.example.net\n"
        "Cc: user@example.org\n"
        f"Subject: {subject}\n"
        f"Message-ID: <list-{n:06d}@author.example.com>\n"
        "List-Id: JFS discussion <jfs-discussion.lists.example.net>\n"
        "List-Unsubscribe: <mailto:jfs-discussion-request@lists.example.net?subject=unsubscribe>\n"
        "Precedence: list\n"
        "MIME-Version: 1.0\n") % (n, n)


def ordinary_50k():
    boundary = "=_alt_0001"
    plain = prose(20 * 1024)
    html = "<html><body>\n" + "".join(
        f"<p>{line}</p>\n" for line in prose(27 * 1024).splitlines()) + "</body></html>\n"
    return (list_header(1, "Re: [Jfs-discussion] journal replay after crash")
            + f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\n\n"
            f"--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\n" + plain
            + f"\n--{boundary}\nContent-Type: text/html; charset=us-ascii\n\n" + html
            + f"\n--{boundary}--\n")


def attach_1m():
    boundary = "=_mixed_0001"
    return (list_header(2, "tape dumps from last night")
            + f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\n"
            f"--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\n" + prose(3000)
            + f"\n--{boundary}\nContent-Type: application/pdf; name=\"report.pdf\"\n"
            "Content-Transfer-Encoding: base64\n"
            "Content-Disposition: attachment; filename=\"report.pdf\"\n\n"
            + b64_lines(450 * 1024)
            + f"\n--{boundary}\nContent-Type: image/jpeg; name=\"dump.jpg\"\n"
            "Content-Transfer-Encoding: base64\n"
            "Content-Disposition: attachment; filename=\"dump.jpg\"\n\n"
            + b64_lines(300 * 1024) + f"\n--{boundary}--\n")


def sent_message(n, body_bytes=600):
    a, b = rng.randrange(5000), rng.randrange(5000)
    return (
        f"Message-ID: <{20260101000000 + n}.sent-{n}@mail.example.org>\n"
        f"Date: Thu, 01 Jan 2026 00:00:00 +0000\n"
        "From: A User <user@example.org>\n"
        f"To: Friend {a} <friend{a}@example.net>, \"Colleague, {b}\" <colleague{b}@example.com>\n"
        f"Cc: team{n % 97}@lists.example.net\n"
        f"Subject: message number {n}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=us-ascii\n\n" + prose(body_bytes))


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    os.makedirs(out, exist_ok=True)
    files = {"dsn-5k.eml": dsn_5k, "ordinary-50k.eml": ordinary_50k,
             "attach-1m.eml": attach_1m, "bounce-50m.eml": bounce_50m,
             "sent.eml": lambda: sent_message(0)}
    for name, make in files.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(make())
    maildir = os.path.join(out, "sent-maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    with open(os.path.join(out, "sent.mbox"), "w") as mbox:
        for n in range(1, count + 1):
            text = sent_message(n)
            name = f"{1760000000 + n}.M{n}P1.bench:2,S"
            with open(os.path.join(maildir, "cur", name), "w") as f:
                f.write(text)
            body = "".join((">" + l if l.startswith("From ") else l)
                           for l in text.splitlines(True))
            mbox.write("From user@example.org Thu Jan  1 00:00:00 2026\n" + body + "\n")


if __name__ == "__main__":
    main()
