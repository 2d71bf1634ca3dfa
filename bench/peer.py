"""The peer: reff's training steps written the straightforward way in PyTorch (Debian's
python3-torch, the same LibTorch 1.13 underneath), timed on the same shapes and thread count.

For each case it prints one JSON line: {"case", "images_per_s", "ms_per_step", "forward_gflop"}.
  small/<method>     the cpu preset: reff's small ResNet (width 16, one basic block per stage,
                     3x3 stride-1 stem, no max-pool), 10 classes, 40 px, batch 32
  resnet50/<method>  torchvision's ResNet-50, 10 classes, 224 px, batch 4
  small/pix2pix      the pseudo-annotator's iteration (U-Net G, PatchGAN D, Adam 2e-4, betas
                     0.5/0.999, D step then G step with 100 * L1), 40 px, batch 4
  epoch/<method>     one epoch of the cpu preset as reff_bench's BM_Epoch runs it (baseline, reff
                     at lambda 1e-3): shuffled batches of 32 normalised from stored uint8 images,
                     the steps, then evaluation of val and two test sets (accuracy on all images,
                     Grad-CAM metrics on each set's first 256, the rest batched by 256 under
                     inference_mode), the last and best checkpoints; random images and the centred
                     mask in the preset's sizes (--epoch-sizes TRAIN,VAL,TEST: each test set TEST)
  matmul             a 2048 x 2048 float matrix product: the machine's reference GFLOP/s
Methods: baseline (cross-entropy), reff (Eq. 3), reff-l1, abn (small only: the attention branch
on layer3, CE of both branches + gamma * mean (M(x) - avgpool(s))^2, gamma 10). ReFF: Grad-CAM of layer1..layer4 of
the label logit from ONE torch.autograd.grad call with create_graph=True, ReLU, bilinear
upsampling, L = CE + lambda * mean_b sum_l w_l ||I'_l (.) (1 - s)||_1; SGD with momentum.

On a GPU (--device cuda) the steps run there, synchronised before each clock reading, with
--precision bf16|fp16 under torch.autocast (fp16 with torch.cuda.amp.GradScaler), --batch for the
ResNet-50 cases, and the allocator's peak memory in each line ("peak_gpu_mib").

With --via-package, the ReFF cases compute their loss through the Python package
(reff.ExplanationLoss, reff's C++ Grad-CAM and loss; PYTHONPATH=build/python): what a PyTorch
user of reff runs; with --convert as well, the model's BatchNorm layers are reff's
(reff.nn.convert) and freed memory is kept (reff.nn.keep_freed_memory), as reff's own steps run.

python3 bench/peer.py [--threads N] [--min-time S] [--cases small/reff,...]
                      [--device cpu|cuda] [--precision fp32|bf16|fp16] [--batch B] [--via-package]
                      [--convert]
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

LAYER_WEIGHTS = (15.0, 60.0, 250.0, 1000.0)


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class AttentionBranch(nn.Module):
    """ABN's attention branch as reff builds it (models/attention_branch.h)."""

    def __init__(self, channels, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.to_classes = nn.Conv2d(channels, classes, 1, bias=False)
        self.scores = nn.Conv2d(classes, classes, 1, bias=False)
        self.to_map = nn.Conv2d(classes, 1, 1, bias=False)
        self.map_bn = nn.BatchNorm2d(1)

    def forward(self, f):
        h = F.relu(self.to_classes(F.relu(self.bn1(self.conv1(f)))))
        return self.scores(h).mean((2, 3)), torch.sigmoid(self.map_bn(self.to_map(h)))


class SmallResNet(nn.Module):
    def __init__(self, width=16, classes=10, attention=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        widths = [width, width * 2, width * 4, width * 8]
        self.layer1 = BasicBlock(width, widths[0], 1)
        self.layer2 = BasicBlock(widths[0], widths[1], 2)
        self.layer3 = BasicBlock(widths[1], widths[2], 2)
        self.layer4 = BasicBlock(widths[2], widths[3], 2)
        self.fc = nn.Linear(widths[3], classes)
        self.attention = AttentionBranch(widths[2], classes) if attention else None
        self.attention_out = None

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        if self.attention is not None:  # the perception branch reads f (.) (1 + M(x))
            self.attention_out = self.attention(x)
            x = x * (1 + self.attention_out[1])
        return self.fc(self.layer4(x).mean((2, 3)))


def unet_depth(size):
    depth = 0
    while depth < 8 and size % 2 == 0 and size >= 2:
        size //= 2
        depth += 1
    return max(depth, 1)


class UNetGenerator(nn.Module):
    """pix2pix's U-Net as reff builds it (models/pix2pix.h): depth adapted to the image."""

    def __init__(self, size, base=64):
        super().__init__()
        self.depth = depth = unet_depth(size)
        channels = [base * min(2 ** k, 8) for k in range(depth)]
        self.down = nn.ModuleList()
        for k in range(depth):
            step = [nn.LeakyReLU(0.2)] if k > 0 else []
            step.append(nn.Conv2d(3 if k == 0 else channels[k - 1], channels[k], 4, 2, 1,
                                  bias=False))
            if 0 < k < depth - 1:
                step.append(nn.BatchNorm2d(channels[k]))
            self.down.append(nn.Sequential(*step))
        self.up = nn.ModuleList()
        for k in range(depth):
            level = depth - 1 - k
            out = 1 if level == 0 else channels[level - 1]
            step = [nn.ReLU(), nn.ConvTranspose2d(channels[level] * (1 if k == 0 else 2), out, 4,
                                                  2, 1, bias=level == 0)]
            if level > 0:
                step.append(nn.BatchNorm2d(out))
                if 1 <= k <= 3:
                    step.append(nn.Dropout(0.5))
            self.up.append(nn.Sequential(*step))

    def forward(self, x):
        skips = []
        for step in self.down:
            x = step(x)
            skips.append(x)
        for k, step in enumerate(self.up):
            if k > 0:
                x = torch.cat([x, skips[self.depth - 1 - k]], 1)
            x = step(x)
        return torch.sigmoid(x)


def patch_discriminator(base=64):
    return nn.Sequential(
        nn.Conv2d(4, base, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(base, 2 * base, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * base), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * base, 4 * base, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * base),
        nn.LeakyReLU(0.2),
        nn.Conv2d(4 * base, 8 * base, 4, 1, 1, bias=False), nn.BatchNorm2d(8 * base),
        nn.LeakyReLU(0.2),
        nn.Conv2d(8 * base, 1, 4, 1, 1))


def pix2pix_case(min_time):
    torch.manual_seed(0)
    size, batch = 40, 4
    g, d = UNetGenerator(size), patch_discriminator()
    images = torch.randn(batch, 3, size, size)
    s = torch.zeros(batch, 1, size, size)
    s[:, :, size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    # F: G's forward and D's three forward passes (real, detached fake, fake for G)
    flops = forward_flops(g, images) + 3 * forward_flops(d, torch.cat([images, s], 1))
    g.train()
    d.train()
    g_optimizer = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def bce(logits, target):
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))

    def step():
        fake = g(images)
        d_loss = 0.5 * (bce(d(torch.cat([images, s], 1)), 1.0) +
                        bce(d(torch.cat([images, fake.detach()], 1)), 0.0))
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        g_loss = bce(d(torch.cat([images, fake], 1)), 1.0) + 100 * (fake - s).abs().mean()
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()

    images_per_s, ms = time_steps(step, min_time, batch)
    return {"case": "small/pix2pix", "images_per_s": images_per_s, "ms_per_step": ms,
            "forward_gflop": flops / 1e9}


def capture_stages(model):
    features = []
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        stage.register_forward_hook(lambda module, inputs, output: features.append(output))
    return features


def loss_of(model, features, images, labels, masks, method, lam, package=None):
    features.clear()
    logits = model(images)
    loss = F.cross_entropy(logits, labels)
    if method == "baseline":
        return loss
    if package is not None:
        return loss + package(logits, labels, masks)
    if method == "abn":
        scores, attention = model.attention_out
        s = F.adaptive_avg_pool2d(masks.unsqueeze(1), attention.shape[2:])
        return loss + F.cross_entropy(scores, labels) + lam * (attention - s).pow(2).mean()
    score = logits.gather(1, labels.view(-1, 1)).sum()
    grads = torch.autograd.grad(score, features, create_graph=True)
    per_sample = 0
    for w, a, g in zip(LAYER_WEIGHTS, features, grads):
        cam = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
        cam = F.interpolate(cam, size=images.shape[2:], mode="bilinear",
                            align_corners=False).squeeze(1)
        diff = cam * (1 - masks) if method == "reff" else cam - masks
        per_sample = per_sample + w * diff.abs().sum((1, 2))
    return loss + lam * per_sample.mean()


def forward_flops(model, images):
    """2 x multiply-adds of every convolution and linear layer in one forward pass."""
    total = [0]

    def conv_hook(module, inputs, output):
        kernel = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
        total[0] += 2 * kernel * output.numel()

    def linear_hook(module, inputs, output):
        total[0] += 2 * module.in_features * output.numel()

    handles = [m.register_forward_hook(conv_hook) for m in model.modules()
               if isinstance(m, nn.Conv2d)]
    handles += [m.register_forward_hook(linear_hook) for m in model.modules()
                if isinstance(m, nn.Linear)]
    with torch.no_grad():
        model(images)
    for h in handles:
        h.remove()
    return total[0]


def synchronise():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def time_steps(step, min_time, batch):
    for _ in range(2):
        step()
    synchronise()
    steps, start = 0, time.perf_counter()
    while True:
        for _ in range(5 if torch.cuda.is_available() else 1):  # a GPU queue runs unsynchronised
            step()
            steps += 1
        synchronise()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and steps >= 3:
            return steps * batch / elapsed, 1000 * elapsed / steps


def train_case(name, min_time, device="cpu", precision="fp32", resnet50_batch=4,
               via_package=False, convert=False):
    model_name, method = name.split("/")
    torch.manual_seed(0)
    if model_name == "small":
        model, size, batch = SmallResNet(attention=method == "abn"), 40, 32
        lam = 10.0 if method == "abn" else 1e-4
    else:
        model, size, batch = torchvision.models.resnet50(num_classes=10), 224, resnet50_batch
        lam = 1e-6
    images = torch.randn(batch, 3, size, size)
    labels = torch.arange(batch) % 10
    masks = torch.zeros(batch, size, size)
    masks[:, size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    flops = forward_flops(model, images)
    model, images, labels, masks = (t.to(device) for t in (model, images, labels, masks))
    features = capture_stages(model)
    package = None
    if via_package and method in ("reff", "reff-l1"):
        import reff
        if convert:  # reff's fastest path for a torch model
            model = reff.nn.convert(model)
            reff.nn.keep_freed_memory()
        package = reff.ExplanationLoss(model, method=method, lam=lam, layer_weights=LAYER_WEIGHTS)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.8, weight_decay=1e-5)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.cuda.amp.GradScaler() if precision == "fp16" else None

    def step():
        with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
            loss = loss_of(model, features, images, labels, masks, method, lam, package)
        optimizer.zero_grad()
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    images_per_s, ms = time_steps(step, min_time, batch)
    result = {"case": name, "images_per_s": images_per_s, "ms_per_step": ms,
              "forward_gflop": flops / 1e9, "batch": batch, "precision": precision,
              "via_package": package is not None, "converted": package is not None and convert}
    if device == "cuda":
        result["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2 ** 20
    return result


MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def stored_set(count, size=40):
    """uint8 images as a data set stores them, labels k % 10, every mask the centred square."""
    masks = torch.zeros(count, size, size)
    masks[:, size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    return torch.randint(0, 256, (count, 3, size, size), dtype=torch.uint8), \
        torch.arange(count) % 10, masks


def normalised(images):
    return (images.float() / 255 - MEAN) / STD


def evaluate(model, features, data, explained=256, batch=256):
    """Accuracy on every image; mass inside, pointing and zero maps of the label's Grad-CAMs on the
    first `explained` (one forward with gradients gives their predictions too)."""
    images, labels, masks = data
    model.eval()
    correct, metrics = 0, []
    for begin in range(0, len(images), batch):
        end = min(len(images), begin + batch)
        x, y, s = normalised(images[begin:end]), labels[begin:end], masks[begin:end]
        if begin < explained:
            features.clear()
            logits = model(x)
            grads = torch.autograd.grad(logits.gather(1, y.view(-1, 1)).sum(), features)
            for a, g in zip(features, grads):
                cam = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
                cam = F.interpolate(cam, size=x.shape[2:], mode="bilinear",
                                    align_corners=False).squeeze(1).detach()
                total = cam.sum((1, 2))
                peak = cam.flatten(1).argmax(1, keepdim=True)
                metrics.append(((cam * s).sum((1, 2)) / total,
                                s.flatten(1).gather(1, peak).squeeze(1), total == 0))
        else:
            with torch.inference_mode():
                logits = model(x)
        correct += int((logits.argmax(1) == y).sum())
    return correct / len(images), metrics


def epoch_case(method, sizes):
    torch.manual_seed(0)
    train_count, val_count, test_count = sizes
    train_images, train_labels, train_masks = stored_set(train_count)
    evaluated = [stored_set(val_count), stored_set(test_count), stored_set(test_count)]
    model = SmallResNet()
    features = capture_stages(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.8, weight_decay=1e-5)
    folder = tempfile.mkdtemp()
    start = time.perf_counter()
    model.train()
    order, step_seconds, loss_sum = torch.randperm(train_count), [], 0.0
    for begin in range(0, train_count - 1, 32):
        picked = order[begin:begin + 32]
        x, y, s = normalised(train_images[picked]), train_labels[picked], train_masks[picked]
        step_start = time.perf_counter()
        loss = loss_of(model, features, x, y, s, method, 1e-3)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(picked)
        step_seconds.append(time.perf_counter() - step_start)
    train_seconds = time.perf_counter() - start
    for data in evaluated:
        evaluate(model, features, data)
    for name in ("checkpoint-best.pt", "checkpoint-last.pt"):
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
                   os.path.join(folder, name))
    seconds = time.perf_counter() - start
    shutil.rmtree(folder)
    steps = statistics.median(step_seconds) * len(step_seconds)
    return {"case": f"epoch/{method}", "images_per_s": train_count / seconds,
            "ms_per_step": 1000 * seconds, "epoch_over_steps": seconds / steps,
            "evaluation_share": (seconds - train_seconds) / seconds}


def matmul_case(min_time):
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    products, ms = time_steps(lambda: torch.mm(a, b), min_time, 1)
    return {"case": "matmul", "gflop_per_s": products * 2 * 2048 ** 3 / 1e9, "ms_per_step": ms}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--min-time", type=float, default=3.0)
    parser.add_argument("--cases", default="small/baseline,small/reff,small/reff-l1,small/abn,"
                        "small/pix2pix,resnet50/baseline,resnet50/reff,matmul")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    parser.add_argument("--batch", type=int, default=4, help="ResNet-50 cases' batch")
    parser.add_argument("--via-package", action="store_true",
                        help="ReFF losses through the reff Python package")
    parser.add_argument("--convert", action="store_true",
                        help="with --via-package: reff.nn.convert(model) and reff.nn.keep_freed_memory()")
    parser.add_argument("--epoch-sizes", default="7200,800,2000",
                        help="epoch cases: training, val and each test set's images")
    args = parser.parse_args()
    if args.device == "cuda":
        torch.backends.cudnn.benchmark = True
    torch.set_num_threads(args.threads)
    for case in args.cases.split(","):
        if case == "matmul":
            result = matmul_case(args.min_time)
        elif case == "small/pix2pix":
            result = pix2pix_case(args.min_time)
        elif case.startswith("epoch/"):
            result = epoch_case(case.split("/")[1], [int(n) for n in args.epoch_sizes.split(",")])
        else:
            result = train_case(case, args.min_time, args.device, args.precision, args.batch,
                                args.via_package, args.convert)
        result["threads"] = torch.get_num_threads()
        # The process's peak so far: per case when one case runs per process (bench/compare.py)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
