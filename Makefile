# Thin wrapper over CMake. `make demo` and `make test` are the README's commands (after
# scripts/install-deps, which they do not call themselves).
BUILD ?= build
JOBS ?= $(shell nproc)
DEMO_OUT ?= runs/demo

.PHONY: build test demo bench clean

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/reff data textured-mnist --preset cpu --count 200 --out $(DEMO_OUT)
	@echo "demo: preview picture at $(DEMO_OUT)/preview.png"

bench: build
	$(BUILD)/reff_bench

clean:
	rm -rf $(BUILD)
