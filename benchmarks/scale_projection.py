"""Time and cost of the reference multilingual generation (23 languages x 50,000 samples)
on N vLLM servers, from a few measured or stated rates.

A calculation, not a measurement: each figure below is an argument, so a user plugs in what
their own servers and model reach (measure one server with benchmarks/llm_throughput.py
against it). The client side is not the bottleneck: the sliding-window engine sustains far
more requests per second than any realistic number of servers serve.

    python benchmarks/scale_projection.py --servers 1 2 4 8 16 32
"""

from __future__ import annotations

import argparse
import math


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", type=int, default=23)
    parser.add_argument("--samples-per-language", type=int, default=50_000)
    parser.add_argument("--prompt-tokens", type=float, default=260.0, help="per request")
    parser.add_argument("--output-tokens", type=float, default=110.0, help="per request")
    parser.add_argument(
        "--keep-rate", type=float, default=0.8,
        help="share of replies that pass parsing and filters (more requests are sent)",
    )  # fmt: skip
    parser.add_argument(
        "--server-output-tps", type=float, default=2500.0,
        help="output tokens/s one vLLM server sustains at high concurrency (8B model, 1 GPU)",
    )  # fmt: skip
    parser.add_argument(
        "--server-prefill-tps", type=float, default=20000.0,
        help="prompt tokens/s one server prefills (prefix caching shares the template)",
    )  # fmt: skip
    parser.add_argument(
        "--client-rps", type=float, default=1000.0,
        help="requests/s one emoexp client process sustains (engine benchmark)",
    )  # fmt: skip
    parser.add_argument("--gpu-hour-usd", type=float, default=2.5)
    parser.add_argument("--startup-min", type=float, default=5.0, help="per server, load weights")
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    samples = args.languages * args.samples_per_language
    requests = math.ceil(samples / args.keep_rate)
    prompt_tokens = requests * args.prompt_tokens
    output_tokens = requests * args.output_tokens
    # seconds of one server's time per request: decode and prefill share the GPU
    server_s_per_request = (
        args.output_tokens / args.server_output_tps + args.prompt_tokens / args.server_prefill_tps
    )
    print(
        f"{samples:,} kept samples -> {requests:,} requests, "
        f"{prompt_tokens / 1e6:.1f}M prompt + {output_tokens / 1e6:.1f}M output tokens"
    )
    print(f"one server: {1 / server_s_per_request:.1f} requests/s")
    print()
    print("| servers | requests/s | wall time | GPU-hours | cost (USD) | bound by |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for n in args.servers:
        server_rps = n / server_s_per_request
        rps = min(server_rps, args.client_rps)
        seconds = requests / rps + args.startup_min * 60
        gpu_hours = n * seconds / 3600
        bound = "servers" if server_rps <= args.client_rps else "client"
        print(
            f"| {n} | {rps:,.1f} | {seconds / 3600:,.2f} h | {gpu_hours:,.1f} | "
            f"{gpu_hours * args.gpu_hour_usd:,.0f} | {bound} |"
        )


if __name__ == "__main__":
    main()
