"""The physical floor for the benchmark: echoes each length-prefixed frame back unchanged, over the
same descriptor layout and framing code the runtime uses, with no JSON and no engine."""

import argparse

from pie_trtllm_runtime.framing import FrameReader, FrameWriter


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--response-fd", type=int, required=True)
    parser.add_argument("--spin-us", type=int, default=0, help="poll this long before sleeping, as the runtime's ipc_profile does")
    args = parser.parse_args()
    reader, writer = FrameReader(args.request_fd, args.spin_us), FrameWriter(args.response_fd)
    while True:
        payload = reader.read_frame()
        if payload is None:
            return
        writer.write_bytes(payload)


if __name__ == "__main__":
    main()
