# acimsim: `make demo` runs the main job on the bundled defaults, `make test` runs the tests (the Slurm sweep
# tests when a Slurm cluster answers), `make fuzz` runs the libFuzzer targets of Fuzz/ for FUZZ_SECONDS each
# (docs/fuzzing.md).
# Each installs libopenblas-dev and libdnnl-dev (oneDNN) with apt-get when they are missing.

SWIFT ?= swift
# OpenBLAS 0.3.21 falls back to generic kernels on the newest Xeons; name the core.
OPENBLAS_CORETYPE ?= $(shell grep -q avx512bw /proc/cpuinfo 2>/dev/null && echo SKYLAKEX || (grep -q avx2 /proc/cpuinfo 2>/dev/null && echo HASWELL))
export OPENBLAS_CORETYPE

.PHONY: deps build release demo test bench fuzz clean

deps:
	@if ! pkg-config --exists openblas 2>/dev/null || [ ! -f /usr/include/oneapi/dnnl/dnnl.h ]; then \
		echo "Installing libopenblas-dev, libdnnl-dev and pkg-config with apt-get"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libopenblas-dev libdnnl-dev pkg-config; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: release
	.build/release/acim info
	.build/release/acim run --profile HardwareProfiles/default.yaml --model Models/digits-san.safetensors --count 120
	.build/release/acim replay Traces/digits-day.jsonl --out .build/demo-replay --force

test: deps
	@if command -v scontrol >/dev/null 2>&1 && scontrol ping 2>/dev/null | grep -q UP; then \
		echo "Slurm: a cluster answers scontrol ping, so the Slurm sweep tests run"; \
	else \
		echo "Slurm: no cluster answers scontrol ping, so the Slurm sweep tests are skipped (.ci/slurm-up starts one)"; \
	fi
	$(SWIFT) test --parallel

bench: release
	.build/release/acim bench

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= profile model npy onnx

fuzz: deps
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh $(FUZZ_TARGETS)

clean:
	rm -rf .build .build-fuzz
