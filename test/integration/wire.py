"""wire.py - a minimal hand-written Kafka wire client for bad-input tests.

Independent of fjord's generated codec on purpose: it builds the bytes the
way the Kafka protocol guide describes them, so a codec bug cannot hide
behind the same bug on both sides."""
import socket
import struct
import time


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def zigzag(n):
    n = (n << 1) ^ (n >> 63)
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def s16(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def records(values, deltas=None, key=None):
    """The records section of a batch: records of the given values, all
    with key (None: a null key), offset deltas 0, 1, 2... unless deltas
    names them."""
    recs = b""
    k = zigzag(-1) if key is None else zigzag(len(key)) + key
    for i, v in enumerate(values):
        d = deltas[i] if deltas is not None else i
        body = b"\x00" + zigzag(0) + zigzag(d) + k + zigzag(len(v)) + v + zigzag(0)
        recs += zigzag(len(body)) + body
    return recs


def batch(payload, count, codec=0, corrupt_crc=False, magic=2):
    """A v2 batch of count records whose payload (the records, compressed
    or not, or anything at all) is given; the CRC is valid unless told."""
    now = int(time.time() * 1000)
    after_crc = struct.pack(">hiqqqhii", codec, count - 1, now, now, -1, -1, -1, count) + payload
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0x1
    tail = struct.pack(">ibI", -1, magic, crc) + after_crc
    return struct.pack(">qi", 0, len(tail)) + tail


def record_batch(values, corrupt_crc=False, magic=2):
    return batch(records(values), len(values), corrupt_crc=corrupt_crc, magic=magic)


class Conn:
    def __init__(self, port, timeout=5.0, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.corr = 100

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def request(self, api_key, version, body, client_id="fjord-wire"):
        self.corr += 1
        hdr = struct.pack(">hhi", api_key, version, self.corr) + s16(client_id)
        msg = hdr + body
        self.sock.sendall(struct.pack(">i", len(msg)) + msg)
        return self.corr

    def recv_frame(self):
        """Returns the response bytes after the size, or None on EOF."""
        size = self._recv_exact(4)
        if size is None:
            return None
        (n,) = struct.unpack(">i", size)
        return self._recv_exact(n)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def closed_by_peer(self, timeout=5.0):
        """True if the peer closes the connection within timeout seconds."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


class Reader:
    def __init__(self, data):
        self.d = data
        self.i = 0

    def take(self, fmt):
        v = struct.unpack_from(">" + fmt, self.d, self.i)
        self.i += struct.calcsize(">" + fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take("h")
        if n < 0:
            return None
        s = self.d[self.i:self.i + n].decode()
        self.i += n
        return s

    def left(self):
        return len(self.d) - self.i


def produce_v3(conn, topic, partition, records, acks=-1):
    body = s16(None) + struct.pack(">hii", acks, 10000, 1) + s16(topic) + \
        struct.pack(">ii", 1, partition) + struct.pack(">i", len(records)) + records
    corr = conn.request(0, 3, body)
    r = Reader(conn.recv_frame())
    assert r.take("i") == corr
    out = []
    for _ in range(r.take("i")):
        name = r.string()
        for _ in range(r.take("i")):
            idx, err, base, _lat = r.take("ihqq")
            out.append((name, idx, err, base))
    return out


def list_offsets(conn, topic, partition, ts, version=1):
    body = struct.pack(">i", -1) + struct.pack(">i", 1) + s16(topic) + \
        struct.pack(">iiq", 1, partition, ts)
    if version == 0:
        body += struct.pack(">i", 1)  # max_num_offsets
    corr = conn.request(2, version, body)
    r = Reader(conn.recv_frame())
    assert r.take("i") == corr
    out = []
    for _ in range(r.take("i")):
        name = r.string()
        for _ in range(r.take("i")):
            if version == 0:
                idx, err = r.take("ih")
                offs = [r.take("q") for _ in range(r.take("i"))]
                out.append((name, idx, err, offs))
            else:
                idx, err, t, off = r.take("ihqq")
                out.append((name, idx, err, off))
    return out


def metadata_v1(conn, topics):
    body = struct.pack(">i", len(topics)) + b"".join(s16(t) for t in topics)
    corr = conn.request(3, 1, body)
    r = Reader(conn.recv_frame())
    assert r.take("i") == corr
    brokers = []
    for _ in range(r.take("i")):
        nid = r.take("i")
        host = r.string()
        port = r.take("i")
        r.string()
        brokers.append((nid, host, port))
    r.take("i")
    topics_out = []
    for _ in range(r.take("i")):
        err = r.take("h")
        name = r.string()
        r.take("b")
        parts = []
        for _ in range(r.take("i")):
            perr, idx, leader = r.take("hii")
            [r.take("i") for _ in range(r.take("i"))]
            [r.take("i") for _ in range(r.take("i"))]
            parts.append((idx, perr, leader))
        topics_out.append((name, err, parts))
    return brokers, topics_out
