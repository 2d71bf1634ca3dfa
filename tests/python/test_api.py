"""The Python package's functions: hand-computed Grad-CAMs and losses, gradients against finite
differences, the mask readers, the data sets, and bad input as one-line ReffError.

REFF_TEST_WORK=DIR REFF_CLI=BINARY python3 -m pytest test_api.py   (or python3 test_api.py;
PYTHONPATH: the built package; ctest sets all three)
"""
import json
import os
import subprocess
import unittest
import warnings

import torch
from PIL import Image

import reff

WORK = os.environ.get("REFF_TEST_WORK", "/tmp/reff-py")
CLI = os.environ.get("REFF_CLI", "reff")


class TinyNet(torch.nn.Module):
    """logits = W . mean_ij A(x): one explained layer, A = conv(x)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 1, bias=False)
        self.fc = torch.nn.Linear(2, 2, bias=False)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


class GradCam(unittest.TestCase):
    def test_hand_computed_map(self):
        # A [1, 2, 2, 2], logits z = W mean(A): dz_c/dA_k = W[c, k] / 4, so alpha_k = W[c, k] / 4
        # and the map is relu(sum_k W[c, k] / 4 A_k).
        features = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[4.0, 0.0], [0.0, -8.0]]]],
                                requires_grad=True)
        weights = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
        logits = features.mean((2, 3)) @ weights.t()
        (cam,) = reff.grad_cam(logits, [features], torch.tensor([0]), None, create_graph=False)
        expected = torch.relu(0.25 * features[0, 0] - 0.25 * features[0, 1]).detach()
        self.assertTrue(torch.allclose(cam[0], expected), (cam, expected))
        (signed,) = reff.grad_cam(logits, [features], torch.tensor([1]), (4, 4),
                                  rectifier="none", create_graph=False)
        self.assertEqual(tuple(signed.shape), (1, 4, 4))

    def test_loss_of_the_maps_has_finite_difference_gradients(self):
        torch.manual_seed(0)
        x = torch.randn(3, 1, 4, 4, dtype=torch.double)
        masks = (torch.rand(3, 4, 4, dtype=torch.double) > 0.5).double()
        net = TinyNet().double()
        params = [net.conv.weight, net.fc.weight]

        def loss(conv_weight, fc_weight):
            features = torch.nn.functional.conv2d(x, conv_weight)
            logits = features.mean((2, 3)) @ fc_weight.t()
            maps = reff.grad_cam(logits, [features], torch.tensor([0, 1, 1]), (4, 4),
                                 rectifier="abs")
            return reff.explanation_loss(maps, masks, method="reff", layer_weights=[2.0])

        self.assertTrue(torch.autograd.gradcheck(loss, [p.detach().requires_grad_() for p in params]))


class ExplanationLoss(unittest.TestCase):
    def test_hand_computed_values(self):
        maps = [torch.tensor([[[1.0, 2.0], [3.0, 4.0]]]), torch.tensor([[[0.5, 0.0], [0.0, 1.0]]])]
        masks = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
        # Eq. (3): w_1 (2 + 3 + 4) + w_2 (0 + 0 + 1)
        self.assertAlmostEqual(reff.explanation_loss(maps, masks, layer_weights=[1, 10]).item(),
                               19.0)
        # L1: w_1 (0 + 2 + 3 + 4) + w_2 (0.5 + 0 + 0 + 1)
        self.assertAlmostEqual(reff.explanation_loss(maps, masks, method="reff-l1",
                                                     layer_weights=[1, 10]).item(), 24.0)
        none = torch.tensor([False])
        self.assertEqual(reff.explanation_loss(maps, masks, none, layer_weights=[1, 10]).item(), 0)

    def test_every_registry_penalty_by_name(self):
        on_maps = [m for m, (_, needs) in reff.METHODS.items() if needs == "grad_cam"]
        self.assertEqual(set(on_maps) & {"reff", "reff-l1", "reff-l2"}, {"reff", "reff-l1", "reff-l2"})
        maps, masks = [torch.rand(2, 3, 3)], torch.ones(2, 3, 3)
        for method in on_maps:
            value = reff.explanation_loss(maps, masks, method=method, layer_weights=[1])
            self.assertTrue(torch.isfinite(value), method)

    def test_focused_form_takes_its_maps_and_normalising_from_the_registry(self):
        self.assertEqual(reff.METHOD_DEFAULTS["reff-focus"],
                         {"lam": 1e-3, "rectifier": "abs", "target": "logit-minus-mean",
                          "normalise": True})
        # A = [[1, -2], [3, 0]], z = (2 mean A, 0), label 0: y = z_0 - mean z = mean A, so the
        # map is |A| / 4 and its share outside the top-left pixel is 1.25 of 1.5.
        features = torch.tensor([[[[1.0, -2.0], [3.0, 0.0]]]], dtype=torch.double,
                                requires_grad=True)
        logits = features.mean((2, 3)) @ torch.tensor([[2.0], [0.0]], dtype=torch.double).t()
        masks = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]], dtype=torch.double)
        own = reff.METHOD_DEFAULTS["reff-focus"]
        maps = reff.grad_cam(logits, [features], torch.tensor([0]), (2, 2),
                             rectifier=own["rectifier"], target=own["target"])
        value = reff.explanation_loss(maps, masks, method="reff-focus", layer_weights=[2.0])
        self.assertAlmostEqual(value.item(), 2.0 * 1.25 / (1.5 + 1e-6), places=9)
        # The hooks apply the same defaults: lam * the same value.
        net = torch.nn.Sequential(torch.nn.Identity())
        hooked = reff.ExplanationLoss(net, ["0"], method="reff-focus", layer_weights=[2.0])
        net(features)
        self.assertAlmostEqual(hooked(logits, torch.tensor([0]), masks).item(),
                               1e-3 * value.item(), places=12)

    def test_hooks_on_a_model(self):
        net = TinyNet()
        focus = reff.ExplanationLoss(net, ["conv"], layer_weights=[1.0], lam=0.5)
        x = torch.randn(2, 1, 6, 6)
        logits = net(x)
        term = focus(logits, torch.tensor([0, 1]), torch.zeros(2, 6, 6))
        term.backward()
        self.assertGreaterEqual(term.item(), 0)
        self.assertIsNotNone(net.conv.weight.grad)
        none = focus(net(x), torch.tensor([0, 1]), torch.zeros(2, 6, 6), torch.tensor([False, False]))
        self.assertEqual(none.item(), 0)
        focus.remove()


class BadInput(unittest.TestCase):
    def one_line(self, call, *words):
        with self.assertRaises(reff.ReffError) as caught:
            call()
        message = str(caught.exception)
        self.assertNotIn("\n", message)
        for word in words:
            self.assertIn(word, message)
        self.assertIsInstance(caught.exception, ValueError)

    def test_wrong_mask_size(self):
        self.one_line(lambda: reff.explanation_loss([torch.rand(2, 4, 4)], torch.ones(2, 5, 5),
                                                    layer_weights=[1]), "masks", "differs")

    def test_feature_list_against_layer_weights(self):
        self.one_line(lambda: reff.explanation_loss([torch.rand(2, 4, 4)], torch.ones(2, 4, 4)),
                      "layer-weights", "4 weights for 1")

    def test_non_float_tensors(self):
        self.one_line(lambda: reff.explanation_loss([torch.ones(2, 4, 4, dtype=torch.long)],
                                                    torch.ones(2, 4, 4), layer_weights=[1]),
                      "maps[0]", "floating-point")
        features = torch.ones(1, 2, 2, 2, dtype=torch.int32)
        self.one_line(lambda: reff.grad_cam(torch.zeros(1, 2, requires_grad=True), [features],
                                            torch.tensor([0])), "features[0]", "floating-point")

    def test_unknown_names_and_classes(self):
        maps = [torch.rand(1, 2, 2)]
        self.one_line(lambda: reff.explanation_loss(maps, torch.ones(1, 2, 2), method="abn",
                                                    layer_weights=[1]), "not a penalty")
        self.one_line(lambda: reff.explanation_loss(maps, torch.ones(1, 2, 2), method="nope",
                                                    layer_weights=[1]), "not one of")
        features = torch.rand(1, 2, 2, 2, requires_grad=True)
        logits = features.mean((2, 3))
        self.one_line(lambda: reff.grad_cam(logits, [features], torch.tensor([5])), "[0, 2)")
        self.one_line(lambda: reff.grad_cam(logits, [features], torch.tensor([0]), rectifier="x"),
                      "rectifier", "relu")


class Masks(unittest.TestCase):
    def test_png_palette_labelme_and_errors(self):
        os.makedirs(WORK, exist_ok=True)
        gray = torch.zeros(6, 8, dtype=torch.uint8)
        gray[1:4, 2:5] = 200
        Image.fromarray(gray.numpy()).save(os.path.join(WORK, "m.png"))
        mask = reff.read_mask(os.path.join(WORK, "m.png"), 6, 8)
        self.assertEqual(mask.dtype, torch.bool)
        self.assertTrue(torch.equal(mask, gray >= 128))
        self.assertTrue(torch.equal(reff.read_mask(os.path.join(WORK, "m.png"), 6, 8, values=[200]),
                                    gray == 200))
        with open(os.path.join(WORK, "m.json"), "w") as f:
            json.dump({"imageHeight": 6, "imageWidth": 8, "shapes": [
                {"label": "digit", "shape_type": "rectangle", "points": [[2, 1], [5, 4]]}]}, f)
        self.assertGreater(int(reff.read_mask(os.path.join(WORK, "m.json"), 6, 8).sum()), 0)
        with self.assertRaises(reff.ReffError) as caught:
            reff.read_mask(os.path.join(WORK, "m.png"), 7, 8)
        self.assertIn("m.png", str(caught.exception))
        with self.assertRaises(reff.ReffError):
            reff.read_mask(os.path.join(WORK, "missing.png"), 6, 8)
        with self.assertRaises(reff.ReffError):
            reff.read_mask(os.path.join(WORK, "m.png"), 6, 8, threshold=2)

    def test_palette_pngs_read_by_index(self):
        os.makedirs(WORK, exist_ok=True)
        indices = torch.zeros(6, 8, dtype=torch.uint8)
        indices[1:4, 2:5] = 15
        indices[0, :] = 255  # Pascal VOC's void band: relevant too
        palette = Image.fromarray(indices.numpy(), mode="P")
        palette.putpalette([0, 0, 0] + [192, 128, 128] * 255)
        palette.save(os.path.join(WORK, "voc.png"))
        path = os.path.join(WORK, "voc.png")
        self.assertTrue(torch.equal(reff.read_mask(path, 6, 8), indices != 0))
        self.assertTrue(torch.equal(reff.read_mask(path, 6, 8, values=[15]), indices == 15))


class SmallNet(torch.nn.Module):
    """conv-BN-ReLU twice, then a linear head: two explained layers."""

    def __init__(self, momentum=0.1):
        super().__init__()
        self.layer1 = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1, bias=False),
                                          torch.nn.BatchNorm2d(4, momentum=momentum),
                                          torch.nn.ReLU())
        self.layer2 = torch.nn.Sequential(torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False),
                                          torch.nn.BatchNorm2d(6, momentum=momentum),
                                          torch.nn.ReLU())
        self.fc = torch.nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(self.layer2(self.layer1(x)).mean((2, 3)))


class Convert(unittest.TestCase):
    """reff.nn.convert: reff's BatchNorm in a torch model, the same numbers as torch's."""

    def gradients(self, model, layers, method, x, labels, masks):
        model.zero_grad()
        images = x.clone().requires_grad_(method == "rrr")
        focus = reff.ExplanationLoss(model, layers, method=method, lam=1e-2,
                                     layer_weights=[1.0] * len(layers))
        logits = model(images)
        loss = torch.nn.functional.cross_entropy(logits, labels) + focus(logits, labels, masks,
                                                                          images=images)
        loss.backward()
        focus.remove()
        return {n: p.grad.clone() for n, p in model.named_parameters()}

    def check_parity(self, make, layers, size):
        import copy
        torch.manual_seed(0)
        x = torch.randn(4, 3, size, size, dtype=torch.double)
        labels = torch.tensor([0, 1, 2, 1])
        masks = torch.zeros(4, size, size, dtype=torch.double)
        masks[:, size // 4:, : size // 2] = 1
        theirs = make().double().train()
        ours = reff.nn.convert(copy.deepcopy(theirs))
        self.assertTrue(any(isinstance(m, reff.nn.BatchNorm2d) for m in ours.modules()))
        for method in ("reff", "rrr"):
            expected = self.gradients(theirs, layers, method, x, labels, masks)
            got = self.gradients(ours, layers, method, x, labels, masks)
            for name, g in expected.items():
                error = float((got[name] - g).abs().max() / g.abs().max().clamp_min(1e-300))
                self.assertLessEqual(error, 1e-10, (method, name, error))
        for a, b in zip(theirs.state_dict().values(), ours.state_dict().values()):
            self.assertTrue(torch.equal(a, b))  # the same running statistics after the steps

    def test_gradients_of_a_small_model_and_resnet18_in_float64(self):
        import torchvision
        self.check_parity(SmallNet, ["layer1", "layer2"], 12)
        self.check_parity(lambda: torchvision.models.resnet18(num_classes=3),
                          ["layer1", "layer2", "layer3", "layer4"], 32)

    def test_batchnorm_in_train_and_eval_mode_and_without_momentum(self):
        for momentum in (0.1, None):
            torch.manual_seed(1)
            theirs = SmallNet(momentum)
            ours = reff.nn.convert(SmallNet(momentum))
            ours.load_state_dict(theirs.state_dict())
            for mode in ("train", "train", "eval", "train"):
                getattr(theirs, mode)()
                getattr(ours, mode)()
                x = torch.randn(5, 3, 10, 10)
                self.assertTrue(torch.equal(theirs(x), ours(x)), (momentum, mode))
            for (name, a), b in zip(theirs.state_dict().items(), ours.state_dict().values()):
                self.assertTrue(torch.equal(a, b), (momentum, name))

    def test_state_dicts_load_both_ways(self):
        converted = reff.nn.convert(SmallNet())
        plain = SmallNet()
        plain.load_state_dict(converted.state_dict())
        again = reff.nn.convert(SmallNet())
        again.load_state_dict(plain.state_dict())
        self.assertEqual(list(converted.state_dict()), list(again.state_dict()))
        for a, b in zip(converted.state_dict().values(), again.state_dict().values()):
            self.assertTrue(torch.equal(a, b))
        alone = torch.nn.BatchNorm2d(4)
        self.assertIs(reff.nn.convert(alone).weight, alone.weight)  # shared with an optimiser

    def test_what_it_cannot_convert(self):
        class OwnNorm(torch.nn.BatchNorm2d):
            def forward(self, x):
                return super().forward(x) * 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch: lazy modules are a new feature
            lazy = torch.nn.Sequential(torch.nn.LazyBatchNorm2d())
        for model, words in ((torch.nn.Sequential(torch.nn.SyncBatchNorm(4)), "0: a SyncBatchNorm"),
                             (lazy, "not yet initialised"),
                             (torch.nn.Sequential(OwnNorm(4)), "OwnNorm is a BatchNorm2d"),
                             ("model", "expected a torch.nn.Module")):
            with self.assertRaises(reff.ReffError) as caught:
                reff.nn.convert(model)
            self.assertIn(words, str(caught.exception))
            self.assertNotIn("\n", str(caught.exception))
        mixed = torch.nn.Sequential(torch.nn.BatchNorm2d(4), OwnNorm(4))
        with self.assertRaises(reff.ReffError):
            reff.nn.convert(mixed)
        self.assertIs(type(mixed[0]), torch.nn.BatchNorm2d)  # nothing converted


class Datasets(unittest.TestCase):
    def test_textured_mnist_as_reff_train_makes_it(self):
        sets = reff.datasets("cpu", config={"data": {"train_count": 12, "val_count": 4,
                                                     "test_count": 4}})
        self.assertEqual(list(sets), ["train", "val", "shift", "iid"])
        image, label, mask, has_mask = sets["train"][0]
        self.assertEqual(tuple(image.shape), (3, 40, 40))
        self.assertEqual(tuple(mask.shape), (40, 40))
        self.assertTrue(bool(has_mask) and 0 <= int(label) < 10)
        again = reff.datasets("cpu", config={"data": {"train_count": 12, "val_count": 4,
                                                      "test_count": 4}})
        self.assertTrue(torch.equal(again["train"].images, sets["train"].images))
        batch = next(iter(torch.utils.data.DataLoader(sets["train"], batch_size=5)))
        self.assertEqual(tuple(batch[0].shape), (5, 3, 40, 40))
        with self.assertRaises(reff.ReffError) as caught:
            reff.datasets("cpu", config={"data": {"train_cuont": 12}})
        self.assertIn("data.train_cuont", str(caught.exception))

    def test_own_folder(self):
        folder = os.path.join(WORK, "layout")
        if not os.path.isdir(folder):
            self.assertEqual(os.system(f"'{CLI}' data layout-example --dataset folder --count 24 "
                                       f"--out '{folder}' > /dev/null"), 0)
        sets = reff.datasets("cpu", "folder", {"data": {"data_dir": folder}})
        self.assertGreaterEqual(len(sets["train"].class_names), 2)
        self.assertIn("test", sets)
        self.assertGreater(int(sets["train"].has_mask.sum()), 0)
        with self.assertRaises(reff.ReffError):
            reff.datasets("cpu", "folder", {"data": {"data_dir": os.path.join(WORK, "nowhere")}})

    def test_own_folder_with_empty_masks(self):
        # The layout example's PNG masks rewritten as gray levels 0 and 1: they read empty.
        folder = os.path.join(WORK, "levels")
        if not os.path.isdir(folder):
            self.assertEqual(os.system(f"'{CLI}' data layout-example --dataset folder --count 24 "
                                       f"--out '{folder}' > /dev/null"), 0)
            for root, _, files in os.walk(os.path.join(folder, "masks", "train")):
                for name in (f for f in files if f.endswith(".png")):
                    mask = Image.open(os.path.join(root, name)).convert("L")
                    mask.point(lambda v: 1 if v else 0).save(os.path.join(root, name))
        config = {"data": {"data_dir": folder}}
        with self.assertRaises(reff.ReffError) as caught:
            reff.datasets("cpu", "folder", config)
        message = str(caught.exception)
        self.assertNotIn("\n", message)
        for words in ("have an empty mask", "pass --mask-values 1", "--allow-empty-masks"):
            self.assertIn(words, message)
        config["data"]["allow_empty_masks"] = True
        with self.assertWarns(UserWarning) as warned:
            sets = reff.datasets("cpu", "folder", config)
        self.assertIn("have an empty mask", str(warned.warning))
        train = sets["train"]
        self.assertGreater(int(((train.masks.flatten(1).amax(1) == 0) & train.has_mask).sum()), 0)
        config["data"].update(allow_empty_masks=False, mask_values=[1])
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # --mask-values 1 reads them: no warning
            train = reff.datasets("cpu", "folder", config)["train"]
        self.assertFalse(bool(((train.masks.flatten(1).amax(1) == 0) & train.has_mask).any()))

    def test_the_same_bad_input_gives_the_same_line_as_reff_train(self):
        folder = os.path.join(WORK, "waterbirds-example")
        if not os.path.isdir(folder):
            self.assertEqual(os.system(f"'{CLI}' data layout-example --dataset waterbirds "
                                       f"--out '{folder}' > /dev/null"), 0)
        data = os.path.join(folder, "waterbirds")
        cub = os.path.join(folder, "CUB_200_2011")
        cases = [  # (config, the same options on the command line)
            ({"data": {"data_dir": data, "p": 0.5}}, ["--data", data, "--p", "0.5"]),
            ({"data": {"data_dir": data, "val": "balanced:1:1"}},
             ["--data", data, "--val", "balanced:1:1"]),
            ({"data": {"data_dir": data, "mask_values": [1]}},
             ["--data", data, "--mask-values", "1"]),
            ({"data": {}}, []),
        ]
        for config, options in cases:
            with self.assertRaises(reff.ReffError) as caught:
                reff.datasets("cpu", "waterbirds", config)
            command = subprocess.run([CLI, "train", "--dataset", "waterbirds", *options,
                                      "--out", os.path.join(WORK, "never")],
                                     capture_output=True, text=True)
            self.assertEqual(command.returncode, 2)
            self.assertEqual(command.stderr.strip(), "error: " + str(caught.exception))
        sets = reff.datasets("cpu", "waterbirds", {"data": {"data_dir": data, "masks_dir": cub,
                                                            "canvas": 24, "val": "official"}})
        self.assertEqual(list(sets), ["train", "official", "test"])  # val under its name
        self.assertEqual(sets["train"].class_names, ["landbird", "waterbird"])
        self.assertTrue(bool(sets["train"].has_mask.all()))
        self.assertEqual(sets["official"].config["data"]["val"]["name"], "official")
        self.assertEqual(len(sets["official"]), 6)


if __name__ == "__main__":
    unittest.main()
