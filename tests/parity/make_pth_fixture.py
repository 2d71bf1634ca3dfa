"""Writes tests/models/data/ordered_state_dict.pth, the reader's fixture: a real OrderedDict state
dict (with its _metadata) of a conv + BatchNorm, plus a transposed (non-contiguous) tensor and a
view sharing its storage. Values are set by hand so the C++ test knows them.

python3 make_pth_fixture.py tests/models/data/ordered_state_dict.pth
"""
import sys

import torch

model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
with torch.no_grad():
    model[0].weight.copy_(torch.arange(18.0).reshape(2, 1, 3, 3) / 10)
    model[0].bias.copy_(torch.tensor([-1.0, 1.0]))
    model[1].running_var.fill_(2.0)
    model[1].num_batches_tracked.fill_(5)
state = model.state_dict()
matrix = torch.arange(12.0).reshape(3, 4)
state["transposed"] = matrix.t()
state["row"] = matrix[1]
torch.save(state, sys.argv[1])
