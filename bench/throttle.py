#!/usr/bin/env python3
"""A loopback TCP proxy that behaves like a network link: a bandwidth shared by every
connection in each direction, and a one-way latency added to every byte.

    bench/throttle.py LISTEN_PORT TARGET_PORT [MBIT_PER_S [LATENCY_MS]]

Defaults: 1000 Mbit/s, 2 ms each way (so a round trip takes 4 ms more, as `tc qdisc add dev lo
root netem delay 2ms rate 1gbit` would make it). A chunk read from one side leaves the link when
the chunks before it in that direction have (the rate), and arrives LATENCY_MS later.
It prints "ready" once it listens.
"""
import asyncio
import sys
import time

CHUNK = 64 * 1024


class Link:
    """One direction of the link: when it is next free to send."""

    def __init__(self, bytes_per_s):
        self.bytes_per_s = bytes_per_s
        self.free_at = 0.0

    def send(self, size):
        start = max(time.monotonic(), self.free_at)
        self.free_at = start + size / self.bytes_per_s
        return self.free_at


async def pipe(reader, writer, link, latency):
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    delivery = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            await queue.put((link.send(len(data)) + latency, data))
            # Reading no further ahead than the link sends: the sender feels the rate.
            ahead = link.free_at - time.monotonic()
            if ahead > 0.005:
                await asyncio.sleep(ahead - 0.005)
    except (ConnectionError, OSError):
        pass
    await queue.put((0, None))
    try:
        await delivery
    except (ConnectionError, OSError):
        pass


async def main():
    listen, target = int(sys.argv[1]), int(sys.argv[2])
    mbit = float(sys.argv[3]) if len(sys.argv) > 3 else 1000.0
    latency = (float(sys.argv[4]) if len(sys.argv) > 4 else 2.0) / 1000
    up, down = Link(mbit * 1e6 / 8), Link(mbit * 1e6 / 8)

    async def serve(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, server_writer, up, latency),
            pipe(server_reader, client_writer, down, latency),
        )
        for w in (client_writer, server_writer):
            w.close()

    server = await asyncio.start_server(serve, "127.0.0.1", listen)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
