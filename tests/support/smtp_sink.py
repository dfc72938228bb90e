#!/usr/bin/python3
"""A real SMTP server for tests: accepts mail on 127.0.0.1:PORT and stores every message, as
received, in the Maildir DIR (new/), with the envelope prepended as X-MailFrom and X-RcptTo
headers. Recipients whose local part starts with "reject" are refused with 550 (permanent), with
"tempfail" with 451 (temporary). Prints "ready" once it accepts connections; stops on SIGTERM.

Needs Debian's python3-aiosmtpd: run it with /usr/bin/python3.
Usage: smtp_sink.py PORT DIR
"""
import mailbox
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, maildir):
        self.box = mailbox.Maildir(maildir, create=True)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        head = ("X-MailFrom: %s\r\nX-RcptTo: %s\r\n"
                % (envelope.mail_from, ", ".join(envelope.rcpt_tos))).encode()
        with self.lock:
            self.box.add(head + envelope.original_content)
        return "250 Message accepted for delivery"


def main():
    port, maildir = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(maildir), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
