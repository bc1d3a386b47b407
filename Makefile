# c2flow: a thin wrapper over CMake.  See README.md.
#   make          build build/c2flow (release)
#   make demo     install missing Debian packages, build, run the demo
#   make test     install missing Debian packages, build with ASan+UBSan, run every test; also
#                 compile everything as a Release build (-O3 -DNDEBUG), whose optimiser
#                 warns of things -O2 does not see
#   make bench    run the benchmarks under bench/ (long; needs nfdump)
#   make bench-query  only bench/query.sh (c2flow query against nfdump)
#   make bench-collect  only bench/collect.sh (c2flow collect against nfcapd)
#   make bench-simulate  only bench/simulate.sh (one day of a 1 M-subscriber ISP)
#   make bench-detect  only bench/detect.sh (graph detection over 7 days of a 1 M-subscriber ISP)
#   make bench-ml  only bench/ml.sh (features and training over 14 days of a 1 M-subscriber ISP)
#   make bench-split  only bench/split.sh (train on a week, detect on the next: the three methods' precision/recall curves; SCENARIO=iot-outbreak)
#   make bench-lookback  only bench/lookback.sh (a 100 k-entry list over 30 days of a 1 M-subscriber ISP, beside nfdump)
#   make bench-hub  only bench/hub.sh (50 members submitting 10,000-row lists while 200 TAXII clients poll)
#   make fuzz     build the libFuzzer targets and grow the corpus (FUZZ_SECONDS each)
#   make install  install (PREFIX=/usr/local, DESTDIR honoured)
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
CMAKE ?= cmake

.PHONY: all build demo test test-only deps bench bench-query bench-collect bench-simulate bench-detect bench-ml bench-split bench-lookback bench-hub fuzz install clean

all: build

build:
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DC2FLOW_TESTS=OFF >/dev/null
	@$(CMAKE) --build build -j $(JOBS)

deps:
	@scripts/setup-deps

demo: deps build
	@scripts/demo

test: deps build test-only

test-only:
	@$(CMAKE) -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
	@$(CMAKE) --build build-release -j $(JOBS)
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DC2FLOW_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

bench: deps build
	@bench/store.sh && bench/query.sh && bench/collect.sh && bench/simulate.sh && bench/detect.sh && bench/ml.sh

bench-collect: deps build
	@bench/collect.sh

bench-simulate: deps build
	@bench/simulate.sh

bench-detect: deps build
	@bench/detect.sh

bench-ml: deps build
	@bench/ml.sh

bench-split: deps build
	@bench/split.sh

bench-lookback: deps build
	@bench/lookback.sh

bench-hub: deps build
	@bench/hub.sh

bench-query: deps build
	@bench/query.sh

fuzz: deps
	@CC=clang $(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DC2FLOW_FUZZ=ON >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)
	@scripts/run-fuzz build-fuzz $(FUZZ_SECONDS)

install: build
	@DESTDIR=$(DESTDIR) $(CMAKE) --install build --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-release build-fuzz demo-store demo-out
