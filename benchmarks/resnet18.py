"""ResNet-18's convolutions (C1 to C11): modelled cycles against the roofline, lane
utilisation, compile and simulation time, correctness, and TVM's published schedules in the same
model. The same as ``vtac bench resnet18 --compare tvm``.

    python benchmarks/resnet18.py [--config NAME] [--only C2,C3] [--json out.json]
"""

import sys

from vtac.bench import main

if __name__ == "__main__":
    raise SystemExit(main(["resnet18", "--compare", "tvm", *sys.argv[1:]]))
