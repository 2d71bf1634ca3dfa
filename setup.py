"""pip install . : the Python package reff (python/reff) with its C++ core reff._core, built by
CMake against the torch of the interpreter that runs pip (README, "From Python").

The core is built in the folder REFF_BUILD_DIR (default: build/, the one `make build` uses, so
an installed package and the command line share one build). No network and no build isolation
are needed: setuptools, torch and the C++ dependencies come from the machine (scripts/install-deps).
"""

import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.abspath(os.environ.get("REFF_BUILD_DIR", os.path.join(ROOT, "build")))


def torch_location(python):
    """The torch package that `python` imports (its folder)."""
    return subprocess.run([python, "-c", "import os, torch; print(os.path.dirname(torch.__file__))"],
                          check=True, capture_output=True, text=True).stdout.strip()


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = BUILD
        cache = os.path.join(build, "CMakeCache.txt")
        ours = torch_location(sys.executable)
        if os.path.exists(cache):
            configured = [line.split("=", 1)[1].strip() for line in open(cache)
                          if line.startswith("REFF_PYTHON:")]
            theirs = torch_location(configured[0]) if configured else None
            if theirs != ours:
                sys.exit(f"reff: {build} was configured for the torch in {theirs}, this pip runs "
                         f"with {ours}; set REFF_BUILD_DIR to another folder")
        else:
            prefix = subprocess.run(
                [sys.executable, "-c", "import torch.utils; print(torch.utils.cmake_prefix_path)"],
                check=True, capture_output=True, text=True).stdout.strip()
            configure = ["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                         f"-DREFF_PYTHON={sys.executable}"]
            if os.path.isdir(prefix):  # PyTorch's own LibTorch (pip's torch); Debian's is found
                configure.append(f"-DCMAKE_PREFIX_PATH={prefix}")
            configure += os.environ.get("REFF_CMAKE_ARGS", "").split()
            subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", build, "--target", "reff_python", "-j",
                        str(os.cpu_count() or 1)], check=True)
        built = [f for f in os.listdir(os.path.join(build, "python", "reff"))
                 if f.startswith("_core.") and f.endswith(".so")]
        if len(built) != 1:
            sys.exit(f"reff: expected one _core module in {build}/python/reff, found {built}")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(build, "python", "reff", built[0]), target)


setup(
    name="reff",
    version=re.search(r"project\(reff VERSION ([0-9.]+)", open(os.path.join(ROOT, "CMakeLists.txt")).read())[1],
    description="ReFF: explanation losses, differentiable multi-layer Grad-CAM, mask readers and "
                "data sets for PyTorch training loops, from reff's C++ core",
    package_dir={"": "python"},
    packages=["reff"],
    ext_modules=[Extension("reff._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": os.path.join(BUILD, "setuptools")}},
    python_requires=">=3.8",
)
