# Thin wrapper over CMake. `make demo` and `make test` are the README's commands (after
# scripts/install-deps, which they do not call themselves).
BUILD ?= build
SANITIZE_BUILD ?= build-asan
JOBS ?= $(shell nproc)
DEMO_OUT ?= runs/demo
FUZZ_SECONDS ?= 20

.PHONY: build cli test unit-test sanitize fuzz demo bench clean

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The library and the reff command only: what the demo runs (no tests, benchmarks or examples).
cli: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target reff_cli

# The whole suite, then the sanitizer build's subset and a short run of every fuzz target.
test: unit-test sanitize fuzz

unit-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(SANITIZE_BUILD)/CMakeCache.txt:
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DREFF_FUZZ=ON -DREFF_BUILD_BENCH=OFF -DREFF_PYTHON_MODULE=OFF

# AddressSanitizer + UndefinedBehaviorSanitizer: the GoogleTest suite, the bad-input table and the
# fuzz regression inputs. The CLI contract (ResNet-50 steps), parity, kill-and-resume, disk and
# example tests run in the plain build only: under ASan they cost minutes and test LibTorch's
# numbers and the file system rather than reff's memory.
sanitize: $(SANITIZE_BUILD)/CMakeCache.txt
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp \
	  ctest --output-on-failure -j $(JOBS) -E 'parity|kill_and_resume|full_disk|example_own_cnn|cli_contract'

fuzz: build $(SANITIZE_BUILD)/CMakeCache.txt
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	REFF=$(BUILD)/reff fuzz/run.sh $(SANITIZE_BUILD) $(FUZZ_SECONDS)

# A Textured MNIST preview, then three models on the cpu preset (trained at p = 0, where the
# background gives the label away; tested where it does not), each fine-tuned from the preset's
# stand-in backbone (the first run builds it into the cache when it is missing): the baseline,
# ReFF in the paper's form, and ReFF on background-swapped images. DEMO_EPOCHS of the preset's 10
# keep the whole demo within 15 minutes on 2 cores. Rerunning resumes. It ends with one page
# comparing the three runs.
DEMO_EPOCHS ?= 6
DEMO_RUNS = baseline:--method=baseline reff:--method=reff reff-swap:--method=reff,--background-swap=true

demo: cli
	$(BUILD)/reff data textured-mnist --preset cpu --count 200 --out $(DEMO_OUT)/data
	@for run in $(DEMO_RUNS); do \
	  name=$${run%%:*}; args=$$(echo $${run#*:} | tr ',' ' '); \
	  resume=; [ -f $(DEMO_OUT)/$$name/config.json ] && resume=--resume; \
	  $(BUILD)/reff train --preset cpu --epochs $(DEMO_EPOCHS) $$args --out $(DEMO_OUT)/$$name $$resume \
	    > $(DEMO_OUT)/$$name.summary || exit 1; \
	done
	@echo "data preview: $(DEMO_OUT)/data/preview.png"
	@echo "explanations: $(DEMO_OUT)/{baseline,reff,reff-swap}/explanations.png"
	@$(BUILD)/reff report $(DEMO_OUT) >/dev/null
	@echo "the runs compared: $(DEMO_OUT)/report.html"
	@for run in $(DEMO_RUNS); do name=$${run%%:*}; \
	  printf '%-10s %s\n' "$$name:" "$$(head -1 $(DEMO_OUT)/$$name.summary)"; done

bench: build
	/usr/bin/python3 bench/compare.py $(BUILD)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
