"""The C++ DSL (lathe/nn.h) against PyTorch.

test/dsl/Models.h writes LeNet, a small ResNet and a model using every
layer option the DSL documents; the same networks are built here in torch
with the same state_dict names. For each: torch's weights (fresh random
ones, batch-norm statistics too) are saved as safetensors, the DSL driver
loads them and compiles the model with lathe::compile, the artifact runs
on fresh random inputs through the runtime and every output is compared
with torch's: |lathe - torch| <= 1e-4 + 1e-4 |torch| (float32 both sides).

Also: the DSL's own state dict has torch's names, order, shapes and dtypes,
its initial weights follow torch's default initialization bounds and are
reproducible from the seed; a state dict survives a load/save round trip;
and each error (a bad state dict, a shape mismatch in forward) names the
key or the module path and both shapes.

examples/dsl/resnet18.cpp, torchvision's ResNet-18 in the DSL, loads
torchvision's state dict (random weights and batch-norm statistics: no
download) and matches torchvision's output within 1e-4 + 1e-3 |torch| (20
layers of float32 sums in different orders, as e2e.resnet18).

Every criterion class of lathe/train.h (options other than its defaults):
a training build stepped once gives torch's parameters within 1e-6 +
1e-4 |torch|.

Training from C++: lathe::train::fit with SGD (momentum, Nesterov, weight
decay) and Adam gives torch.optim's parameters and batch-norm statistics
after 8 steps within 1e-5 + 1e-4 |torch|; examples/dsl/lenet_digits.cpp
trains LeNet on the shipped digits to >= 97% validation accuracy.

Usage: check_dsl.py DRIVER RUNTIME_LIBRARY WORK_DIR RESNET18_EXAMPLE
                    LENET_DIGITS_EXAMPLE EXAMPLES_DIR
"""
import json
import os
import re
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import lathe_rt  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "dsl"))
from export_torchvision import write_safetensors  # noqa: E402

RTOL, ATOL = 1e-4, 1e-4

# --- the torch twins of test/dsl/Models.h ----------------------------------


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = (nn.Linear(400, 120), nn.Linear(120, 84),
                                        nn.Linear(84, 10))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32, 1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(self.avgpool(x).flatten(1))


class Zoo(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 8, 3, padding=1, padding_mode="reflect")
        self.c2 = nn.Conv2d(8, 8, 3, groups=4, dilation=2, padding="same")
        self.c3 = nn.Conv2d(8, 8, (3, 1), stride=(2, 1), padding=(1, 0),
                            padding_mode="circular")
        self.gn = nn.GroupNorm(4, 8)
        self.ct = nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1)
        self.mp = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.ap = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.apd = nn.AvgPool2d(2, divisor_override=3)
        self.ln = nn.LayerNorm([6])
        self.pool = nn.AdaptiveAvgPool2d(3)
        self.fc = nn.Linear(54, 10)
        self.bn = nn.BatchNorm1d(10)
        self.drop = nn.Dropout(0.3)
        self.c1d = nn.Conv1d(4, 4, 5, stride=2, padding=2, padding_mode="replicate")
        self.c3d = nn.Conv3d(4, 2, (1, 3, 3), padding=(0, 1, 1))
        self.bn3d = nn.BatchNorm3d(2)
        self.mp3d = nn.MaxPool3d((1, 2, 2))
        self.acts = nn.Sequential(
            nn.GELU("tanh"), nn.SiLU(), nn.Mish(), nn.Hardswish(), nn.ELU(0.5),
            nn.LeakyReLU(0.2), nn.Softplus(2, 5), nn.CELU(1.5), nn.SELU(),
            nn.Hardsigmoid(), nn.LogSigmoid(), nn.Softsign(), nn.ReLU6(),
            nn.Hardtanh(-0.5, 0.5), nn.Sigmoid(), nn.Tanh(), nn.GELU())

    def forward(self, x):
        y = self.ct(self.gn(self.c3(F.relu(self.c2(self.c1(x))))))
        y = self.pool(self.ln(self.apd(self.ap(self.mp(y)))))
        q = self.drop(self.fc(y.flatten(1)))
        out0 = self.bn(q).log_softmax(1)
        out1 = self.acts(q * 3.0)
        out2 = F.max_pool1d(self.c1d(x.flatten(2)), 2)
        out3 = self.mp3d(self.bn3d(self.c3d(x.unsqueeze(2))))
        return out0, out1, out2, out3, q.softmax(-1)


class Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16, padding_idx=0, max_norm=3.0)
        self.lstm = nn.LSTM(16, 12, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(24, 10)
        self.rnn = nn.RNN(10, 8, nonlinearity="relu", bias=False)

    def forward(self, x):
        e = self.emb(x)
        y, (h, c) = self.lstm(e)
        y2, h2 = self.gru(y.transpose(0, 1))
        y3, h3 = self.rnn(y2)
        y4, h4 = self.gru(y.transpose(0, 1), h2)
        return y, h, c, y2, h2, y3, h3, y4, h4


class More(nn.Module):
    def __init__(self):
        super().__init__()
        self.prelu = nn.PReLU(8)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.shuffle = nn.PixelShuffle(2)
        self.unshuffle = nn.PixelUnshuffle(2)
        self.acts = nn.Sequential(nn.Threshold(0.1, -2.0), nn.Softshrink(0.3),
                                  nn.Hardshrink(0.2), nn.Tanhshrink())
        self.glu = nn.GLU(1)
        self.softmin = nn.Softmin(1)
        self.softmax2d = nn.Softmax2d()
        self.d2 = nn.Dropout2d(0.2)
        self.ad = nn.AlphaDropout(0.1)
        self.unflatten = nn.Unflatten(1, (4, 36))
        self.in1 = nn.InstanceNorm1d(4)
        self.bil = nn.Bilinear(5, 4, 3)
        self.pd = nn.PairwiseDistance(3.0)
        self.cs = nn.CosineSimilarity(1)

    def forward(self, x, z):
        a = self.unshuffle(self.shuffle(self.inorm(self.prelu(x))))
        g = self.glu(self.acts(a))
        o0, o1 = self.softmax2d(self.d2(g)), self.softmin(self.ad(g))
        o2 = self.in1(self.unflatten(g.flatten(1)))
        w = g.mean((2, 3))
        o3 = self.bil(z, w)
        o4 = self.pd(o3, o3 * 0.5 + 1.0)
        o5 = self.cs(w, w.relu() + 0.1)
        return o0, o1, o2, o3, o4, o5


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.bn, self.fc2 = nn.Linear(6, 16), nn.BatchNorm1d(16), nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x))))


class Resample(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(6, 6), nn.Linear(6, 6)])
        self.acts = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(1)),
                                        nn.Parameter(torch.full((1,), 2.0))])
        self.up = nn.Upsample(scale_factor=2.0)

    def forward(self, x):
        y = x
        for b in self.blocks:
            y = b(y)
        y = self.acts["a"](y) * self.scales[0] + self.acts["b"](y) * self.scales[1]
        return (self.up(y),
                F.interpolate(y, size=(9, 7), mode="bilinear"),
                F.interpolate(y, scale_factor=1.5, mode="bilinear", align_corners=True),
                F.interpolate(y.flatten(2), size=45, mode="linear"),
                F.interpolate(y.unsqueeze(2), scale_factor=(1.0, 2.0, 2.0), mode="trilinear"),
                F.interpolate(y, size=(8, 8), mode="bicubic"),
                F.interpolate(y, size=(7, 9), mode="nearest"))


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(16, 4, batch_first=True)
        self.cross = nn.MultiheadAttention(16, 2, kdim=12, vdim=8)
        self.pre = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, norm_first=True,
                                              activation="gelu", batch_first=True)
        self.tf = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=2,
                                 num_decoder_layers=1, dim_feedforward=24)

    def forward(self, x, mask, k, v):
        causal = nn.Transformer.generate_square_subsequent_mask(5)
        a, w = self.mha(x, x, x, key_padding_mask=mask)
        y = self.pre(a, src_mask=causal)
        c, cw = self.cross(y.transpose(0, 1), k, v, average_attn_weights=False)
        t = self.tf(c, y.transpose(0, 1), tgt_mask=causal)
        return a, w, y, c, cw, t


class Ops(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x, labels):
        parts = x.chunk(2, 2)
        s = torch.stack([parts[0], parts[1]], 1)
        e = x[:, 0:1].expand(2, 3, 4) + x.repeat(1, 1, 1)
        r = x[:, :, 1:4].repeat(1, 2, 1)
        sel = x.index_select(2, torch.arange(0, 4, 2))
        g = x.gather(2, labels.unsqueeze(2).clamp(0, 3))
        m = x.masked_fill(x > 0.5, -1.0)
        w = torch.where(x <= 0, x * 2.0, self.proj(x))
        ein = torch.einsum("bij,bkj->bik", x, self.proj(x))
        b = torch.bmm(x, self.proj(x).transpose(1, 2))
        oh = F.one_hot(labels, 5).float()
        am = x.argmax(1).float() + x.argmin(1, keepdim=True).sum(1).float()
        mn = x.amin((0, 2)) + x.amax(1).sum()
        cmp = (x == x).float() + (x >= 0.1).float() + (x < -0.2).float()
        cr = x * torch.linspace(0, 1, 4) + torch.eye(3, 4) + torch.ones_like(x) * 0.5 + \
            torch.full_like(x, 0.25)
        nar = x.narrow(2, 1, 2).split(1, 2)[1]
        return s, e, r, sel, g, m, w, ein, b, oh, am, mn, cmp, cr, nar


class Rest(nn.Module):
    def __init__(self):
        super().__init__()
        self.lp2 = nn.LPPool2d(2.0, (2, 2))
        self.lp1 = nn.LPPool1d(3.0, 3, 2)
        self.amp = nn.AdaptiveMaxPool2d((3, 4))
        self.amp1 = nn.AdaptiveMaxPool1d(5)
        self.lrn = nn.LocalResponseNorm(3)
        self.rrelu = nn.RReLU(0.1, 0.3)
        self.bag = nn.EmbeddingBag(20, 6, padding_idx=0)
        self.bagmax = nn.EmbeddingBag(20, 6, mode="max")
        self.bagsum = nn.EmbeddingBag(20, 6, mode="sum")
        self.lc = nn.LSTMCell(6, 5)
        self.gc = nn.GRUCell(6, 5)
        self.rc = nn.RNNCell(6, 5, bias=False, nonlinearity="relu")

    def forward(self, x, ids, w):
        e, e2, e3 = self.bag(ids), self.bagmax(ids), self.bagsum(ids, per_sample_weights=w)
        h, c = self.lc(e)
        h2, h3 = self.gc(e2, h), self.rc(e3)
        values, indices = F.max_pool2d(x, 3, 2, 1, return_indices=True)
        return (self.lp2(x.relu()), self.lp1(x.relu().flatten(2)), self.amp(x),
                self.amp1(x.flatten(2)[:, :, 0:10]), self.lrn(x), self.rrelu(x),
                e, e2, e3, h, c, h2, h3, values, indices.float())


class Unbatched(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.ct = nn.ConvTranspose1d(4, 2, 3, stride=2)
        self.mp, self.ap, self.aap = nn.MaxPool2d(2), nn.AvgPool1d(2), nn.AdaptiveAvgPool2d(2)
        self.norm = nn.InstanceNorm2d(4)
        self.lp = nn.LPPool2d(2.0, (2, 2))
        self.lstm = nn.LSTM(8, 5, num_layers=2)
        self.gru = nn.GRU(8, 5, batch_first=True)

    def forward(self, x):
        y = self.conv(x)
        o, (h, c) = self.lstm(x.flatten(0, 1))
        g, gh = self.gru(x.flatten(0, 1))
        return (self.mp(y), self.aap(y), self.norm(y), self.lp(y.relu()),
                self.ct(y.flatten(1)), self.ap(y.flatten(1)), o, h, c, g, gh)


class Losses(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 5)

    def forward(self, x, cls, y):
        z = self.fc(x)
        w = torch.tensor([1.0, 2.0, 0.5, 1.0, 1.5])
        return (F.cross_entropy(z, cls, w, ignore_index=2, label_smoothing=0.1),
                F.cross_entropy(z, cls, reduction="none"),
                F.cross_entropy(z, y.softmax(1)),
                F.nll_loss(z.log_softmax(1), cls, w, reduction="sum"),
                F.mse_loss(z, y, reduction="none"), F.l1_loss(z, y),
                F.smooth_l1_loss(z, y, reduction="sum", beta=0.5),
                F.huber_loss(z, y, delta=0.7),
                F.kl_div(z.log_softmax(1), y.softmax(1), reduction="batchmean"),
                F.binary_cross_entropy(z.sigmoid(), y.sigmoid(), reduction="none"),
                F.binary_cross_entropy_with_logits(z, y.sigmoid(),
                                                   pos_weight=torch.full((5,), 2.0)),
                nn.CrossEntropyLoss(w, ignore_index=2, label_smoothing=0.1)(z, cls),
                nn.HuberLoss(delta=0.7)(z, y),
                nn.BCEWithLogitsLoss(pos_weight=torch.full((5,), 2.0))(z, y.sigmoid()),
                nn.KLDivLoss(reduction="batchmean")(z.log_softmax(1), y.softmax(1)))


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(6, 4), nn.Linear(6, 4), nn.Linear(6, 4)

    def forward(self, x, kind):
        if kind in ("kl_div", "nll"):
            return [self.a(x).log_softmax(1)]
        if kind == "bce":
            return [self.a(x).sigmoid()]
        if kind == "margin_ranking":
            return [self.a(x).sum(1), self.b(x).sum(1)]
        if kind == "cosine_embedding":
            return [self.a(x), self.b(x)]
        if kind == "triplet_margin":
            return [self.a(x), self.b(x), self.c(x)]
        if kind == "ctc":
            return [self.a(x).reshape(4, 2, 4).log_softmax(2)]
        return [self.a(x)]


CLASS_WEIGHT = [1.0, 2.0, 0.5, 1.0]


def criterion_case(kind, rng):
    """The torch criterion of test/dsl/dsl_driver.cpp's |kind| (its options)
    and fresh targets for 8 samples of Heads' outputs."""
    sign = lambda *s: np.where(rng.random(s) < 0.5, -1.0, 1.0).astype(np.float32)
    real = rng.standard_normal((8, 4)).astype(np.float32)
    classes = rng.integers(0, 4, size=8).astype(np.int64)
    w = torch.tensor(CLASS_WEIGHT)
    if kind == "cross_entropy":
        return lambda o, t: F.cross_entropy(o[0], t[0], weight=w, label_smoothing=0.1), [classes]
    if kind == "nll":
        return lambda o, t: F.nll_loss(o[0], t[0], weight=w, ignore_index=3,
                                       reduction="sum"), [classes]
    if kind == "mse":
        return lambda o, t: F.mse_loss(o[0], t[0], reduction="sum"), [real]
    if kind == "l1":
        return lambda o, t: F.l1_loss(o[0], t[0]), [real]
    if kind == "smooth_l1":
        return lambda o, t: F.smooth_l1_loss(o[0], t[0], beta=0.5), [real]
    if kind == "huber":
        return lambda o, t: F.huber_loss(o[0], t[0], delta=0.7), [real]
    if kind == "bce":
        return lambda o, t: F.binary_cross_entropy(o[0], t[0]), [
            rng.random((8, 4)).astype(np.float32)]
    if kind == "bce_with_logits":
        return lambda o, t: F.binary_cross_entropy_with_logits(
            o[0], t[0], pos_weight=torch.full((4,), 2.0)), [rng.random((8, 4)).astype(np.float32)]
    if kind == "soft_margin":
        return lambda o, t: F.soft_margin_loss(o[0], t[0], reduction="sum"), [sign(8, 4)]
    if kind == "kl_div":
        p = rng.random((8, 4)).astype(np.float32)
        return lambda o, t: F.kl_div(o[0], t[0], reduction="batchmean"), [p / p.sum(1, keepdims=True)]
    if kind == "poisson_nll":
        return lambda o, t: F.poisson_nll_loss(o[0], t[0], log_input=True, full=True), [
            rng.integers(0, 5, size=(8, 4)).astype(np.float32)]
    if kind == "hinge_embedding":
        return lambda o, t: F.hinge_embedding_loss(o[0], t[0], margin=0.5), [sign(8, 4)]
    if kind == "multilabel_soft_margin":
        return lambda o, t: F.multilabel_soft_margin_loss(
            o[0], t[0], weight=torch.tensor([1.0, 2.0, 1.0, 0.5])), [
            (rng.random((8, 4)) < 0.5).astype(np.float32)]
    if kind == "multi_margin":
        return lambda o, t: F.multi_margin_loss(o[0], t[0], p=2, margin=0.7), [classes]
    if kind == "multilabel_margin":
        labels = np.full((8, 4), -1, np.int64)
        for i in range(8):
            k = int(rng.integers(1, 4))
            labels[i, :k] = rng.permutation(4)[:k]
        return lambda o, t: F.multilabel_margin_loss(o[0], t[0]), [labels]
    if kind == "margin_ranking":
        return lambda o, t: F.margin_ranking_loss(o[0], o[1], t[0], margin=0.2), [sign(8)]
    if kind == "cosine_embedding":
        return lambda o, t: F.cosine_embedding_loss(o[0], o[1], t[0], margin=0.1), [sign(8)]
    if kind == "triplet_margin":
        return lambda o, t: F.triplet_margin_loss(o[0], o[1], o[2], margin=0.5, p=1,
                                                  swap=True), []
    if kind == "ctc":
        targets = np.zeros((2, 4), np.int64)  # Padded to T, as lathe train's.
        targets[0, :2] = rng.integers(1, 4, size=2)
        targets[1, :1] = rng.integers(1, 4, size=1)
        lengths_in = np.array([4, 3], np.int64)
        lengths_out = np.array([2, 1], np.int64)
        return lambda o, t: F.ctc_loss(o[0], t[0], t[1], t[2], blank=0, reduction="sum",
                                       zero_infinity=True), [targets, lengths_in, lengths_out]
    raise ValueError(kind)


CRITERIA = ["cross_entropy", "nll", "mse", "l1", "smooth_l1", "huber", "bce",
            "bce_with_logits", "soft_margin", "kl_div", "poisson_nll", "hinge_embedding",
            "multilabel_soft_margin", "multi_margin", "multilabel_margin", "margin_ranking",
            "cosine_embedding", "triplet_margin", "ctc"]


MODELS = {"lenet": (LeNet, (8, 1, 28, 28)), "resnet": (ResNet, (2, 3, 32, 32)),
          "zoo": (Zoo, (2, 4, 12, 12)), "seq": (Seq, (3, 7)),
          "more": (More, (2, 8, 6, 6)), "resample": (Resample, (2, 3, 5, 6)),
          "attn": (Attn, (2, 5, 16)), "ops": (Ops, (2, 3, 4)),
          "rest": (Rest, (2, 4, 7, 9)), "unbatched": (Unbatched, (3, 6, 8)),
          "losses": (Losses, (4, 5))}


def inputs_for(name, shape, rng):
    """Fresh inputs of model |name| (token ids for seq; a second input for
    more)."""
    if name == "seq":
        x = rng.integers(0, 50, size=shape).astype(np.int64)
        x[0, 0] = 0  # The padding index too.
        return [x]
    x = rng.standard_normal(shape).astype(np.float32)
    if name == "more":
        return [x, rng.standard_normal((2, 5)).astype(np.float32)]
    if name == "losses":
        return [x, rng.integers(0, 5, size=4).astype(np.int64),
                rng.standard_normal((4, 5)).astype(np.float32)]
    if name == "rest":
        ids = rng.integers(0, 20, size=(3, 4)).astype(np.int64)
        ids[0, 1] = 0  # Padding in a bag.
        return [x, ids, rng.random((3, 4)).astype(np.float32)]
    if name == "ops":
        return [x, rng.integers(0, 5, size=(2, 3)).astype(np.int64)]
    if name == "attn":
        mask = rng.random((2, 5)) < 0.4
        mask[:, 0] = False  # Every query sees a key.
        return [x, mask, rng.standard_normal((7, 2, 12)).astype(np.float32),
                rng.standard_normal((7, 2, 8)).astype(np.float32)]
    return [x]

# --- safetensors, as the format defines it ---------------------------------

_NP = {"F32": np.dtype("float32"), "F64": np.dtype("float64"),
       "I64": np.dtype("int64"), "I32": np.dtype("int32"), "BOOL": np.dtype("bool")}


def read_safetensors(path):
    """The tensors of |path| in the header's order."""
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n], object_pairs_hook=list)
    out = []
    for name, info in header:
        if name == "__metadata__":
            continue
        info = dict(info)
        begin, end = info["data_offsets"]
        a = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=_NP[info["dtype"]])
        out.append((name, a.reshape(info["shape"])))
    return out


def state_arrays(model):
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


def randomized(factory, seed):
    """|factory|'s model with torch's initialization from |seed|, and random
    batch-norm statistics and affine parameters (eval mode)."""
    torch.manual_seed(seed)
    model = factory()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
                m.num_batches_tracked.fill_(7)
            elif isinstance(m, (nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)) and \
                    m.weight is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    return model.eval()


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def expect(self, ok, what, detail=""):
        # A passing check's detail only when it is a short measurement.
        shown = detail if detail and (not ok or len(detail) < 120) else ""
        print("%s: %s%s" % ("pass" if ok else "FAIL", what,
                            (" (%s)" % shown) if shown else ""))
        self.passed += 1 if ok else 0
        self.failed += 0 if ok else 1


def driver(args):
    return subprocess.run(args, capture_output=True, text=True)


def main(seed):
    drv, runtime, work, resnet18, lenet_digits, examples = sys.argv[1:7]
    os.makedirs(work, exist_ok=True)
    rt = lathe_rt.Runtime(runtime)
    checks = Checks()
    rng = np.random.default_rng(seed)

    for name, (factory, shape) in MODELS.items():
        model = randomized(factory, seed)
        weights = os.path.join(work, name + ".safetensors")
        write_safetensors(weights, state_arrays(model))
        base = os.path.join(work, name)
        r = driver([drv, "compile", name, weights, base])
        checks.expect(r.returncode == 0, "%s: lathe::compile" % name,
                      (r.stdout + r.stderr).strip()[-2000:])
        if r.returncode:
            continue
        checks.expect(os.path.exists(base + ".h"), "%s: header written" % name)
        module = rt.load(base + ".so")
        for run in range(2):
            xs = inputs_for(name, shape, rng)
            got = rt.run(module, "forward", xs)
            with torch.no_grad():
                want = model(*[torch.from_numpy(x) for x in xs])
            want = list(want) if isinstance(want, tuple) else [want]
            checks.expect(len(got) == len(want), "%s: %d outputs" % (name, len(want)),
                          "got %d" % len(got))
            for i, (g, w) in enumerate(zip(got, want)):
                result = compare.close(g, w, RTOL, ATOL, "%s output %d" % (name, i))
                checks.expect(result, "%s run %d output %d matches torch" % (name, run, i),
                              result.detail)

        # The DSL's own state dict: torch's names, order, shapes, dtypes.
        fresh = os.path.join(work, name + ".dsl.safetensors")
        r = driver([drv, "save", name, fresh, "5"])
        checks.expect(r.returncode == 0, "%s: save_state_dict" % name, r.stdout)
        if r.returncode:
            continue
        mine = read_safetensors(fresh)
        theirs = [(k, v.detach().numpy()) for k, v in factory().state_dict().items()]
        names_ok = [k for k, _ in mine] == [k for k, _ in theirs]
        checks.expect(names_ok, "%s: state_dict names and order are torch's" % name,
                      "" if names_ok else "%s vs %s" % (
                          [k for k, _ in mine], [k for k, _ in theirs]))
        same = all(a.shape == b.shape and a.dtype == b.dtype
                   for (_, a), (_, b) in zip(mine, theirs))
        checks.expect(same and len(mine) == len(theirs),
                      "%s: state_dict shapes and dtypes are torch's" % name)
        # torch's default initialization: |w| <= 1/sqrt(fan_in) for Linear
        # and convolution weights and biases, batch norm 1/0 and 0/1.
        ok, detail = True, ""
        mods = dict(factory().named_modules())
        for key, a in mine:
            owner, _, leaf = key.rpartition(".")
            m = mods[owner]
            if owner.endswith("out_proj") and leaf == "bias":
                # MultiheadAttention zeroes its projections' biases.
                if not np.all(a == 0):
                    ok, detail = False, key + " is not all zeros"
            elif isinstance(m, (nn.Linear, nn.modules.conv._ConvNd, nn.Bilinear)):
                w = m.weight
                fan_in = w.shape[1] * (1 if isinstance(m, nn.Bilinear)
                                       else int(np.prod(w.shape[2:])))
                bound = 1 / np.sqrt(fan_in)
                spread = float(np.max(a) - np.min(a))
                # (The spread of a few values may be small by chance.)
                if not (np.all(np.abs(a) <= bound * (1 + 1e-6)) and
                        (a.size < 16 or spread > bound)):
                    ok, detail = False, "%s: range [%g, %g], bound %g" % (
                        key, np.min(a), np.max(a), bound)
            elif isinstance(m, nn.RNNBase):
                bound = 1 / np.sqrt(m.hidden_size)
                if not np.all(np.abs(a) <= bound * (1 + 1e-6)):
                    ok, detail = False, "%s: outside +-%g" % (key, bound)
            elif leaf in ("running_var",) or (leaf == "weight" and isinstance(
                    m, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm))):
                if not np.all(a == 1):
                    ok, detail = False, key + " is not all ones"
            elif leaf in ("running_mean", "num_batches_tracked", "bias"):
                if not np.all(a == 0):
                    ok, detail = False, key + " is not all zeros"
        checks.expect(ok, "%s: initial values follow torch's default init" % name, detail)
        again = os.path.join(work, name + ".dsl2.safetensors")
        other = os.path.join(work, name + ".dsl3.safetensors")
        driver([drv, "save", name, again, "5"])
        driver([drv, "save", name, other, "6"])
        checks.expect(open(fresh, "rb").read() == open(again, "rb").read(),
                      "%s: the same seed gives the same initial weights" % name)
        checks.expect(open(fresh, "rb").read() != open(other, "rb").read(),
                      "%s: another seed gives other initial weights" % name)

    # A state dict round trip keeps every tensor bit for bit.
    src = os.path.join(work, "resnet.safetensors")
    out = os.path.join(work, "resnet.roundtrip.safetensors")
    r = driver([drv, "roundtrip", "resnet", src, out])
    checks.expect(r.returncode == 0, "roundtrip: load then save", r.stdout)
    if r.returncode == 0:
        a, b = read_safetensors(src), read_safetensors(out)
        checks.expect([k for k, _ in a] == [k for k, _ in b] and all(
            x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
            for (_, x), (_, y) in zip(a, b)), "roundtrip: identical tensors")

    # Errors name the place.
    def expect_error(args, parts, what):
        r = driver(args)
        ok = r.returncode == 2 and all(p in r.stdout for p in parts)
        checks.expect(ok, "error: " + what, (r.stdout + r.stderr).strip())

    lenet = state_arrays(randomized(LeNet, seed))
    expect_error([drv, "compile", "lenet", os.path.join(work, "lenet.safetensors"),
                  os.path.join(work, "bad"), "8x3x28x28"],
                 ["conv1 (Conv2d)", "[8, 3, 28, 28]", "in_channels is 1",
                  "[6, 1, 5, 5]"], "wrong input channels name conv1 and both shapes")
    mismatch = os.path.join(work, "mismatch.safetensors")
    driver([drv, "save", "mismatch", mismatch, "1"])
    expect_error([drv, "compile", "mismatch", mismatch, os.path.join(work, "bad")],
                 ["body.1.fc (Linear)", "[3, 10]", "[5, 20]"],
                 "a nested module's shape mismatch names body.1.fc")

    def broken(edit, suffix):
        tensors = dict(lenet)
        edit(tensors)
        path = os.path.join(work, "lenet-%s.safetensors" % suffix)
        write_safetensors(path, tensors)
        return path

    cases = [
        (lambda t: t.pop("fc3.bias"), "missing", ["missing key 'fc3.bias'"]),
        (lambda t: t.__setitem__("fc1.weight", np.zeros((120, 401), np.float32)),
         "shape", ["key 'fc1.weight' has shape [120, 401]", "[120, 400]"]),
        (lambda t: t.__setitem__("extra.weight", np.zeros(3, np.float32)),
         "unexpected", ["unexpected key 'extra.weight'"]),
        (lambda t: t.__setitem__("fc2.bias", np.zeros(84, np.float64)),
         "dtype", ["key 'fc2.bias' is f64"]),
    ]
    for edit, suffix, parts in cases:
        path = broken(edit, suffix)
        expect_error([drv, "compile", "lenet", path, os.path.join(work, "bad")],
                     parts + [path], "state dict with a %s key" % suffix)
    expect_error([drv, "compile", "lenet", os.path.join(work, "absent.safetensors"),
                  os.path.join(work, "bad")], ["absent.safetensors", "cannot open"],
                 "a missing state dict file")
    graphonly = os.path.join(work, "graphonly.safetensors")
    driver([drv, "save", "graphonly", graphonly, "1"])
    expect_error([drv, "compile", "graphonly", graphonly, os.path.join(work, "bad")],
                 ["multi_margin criterion is a training criterion only"],
                 "a criterion without a graph form, called in forward, is refused")
    expect_error([drv, "stale", os.path.join(work, "stale")],
                 ["a symbolic tensor of a finished trace"],
                 "a symbolic tensor kept from an earlier compile is refused")
    truncated = os.path.join(work, "truncated.safetensors")
    with open(truncated, "wb") as f:
        f.write(open(os.path.join(work, "lenet.safetensors"), "rb").read()[:500])
    expect_error([drv, "compile", "lenet", truncated, os.path.join(work, "bad")],
                 ["truncated.safetensors", "not a valid safetensors file"],
                 "a truncated state dict file")
    checks.expect(not os.path.exists(os.path.join(work, "bad.so")),
                  "no artifact is written by a failed compile")

    # Training from C++ (lathe::train::fit) against torch.optim: the same
    # initial weights, 2 epochs of 4 batches in order, then every parameter
    # and running statistic (num_batches_tracked, which Lathe's step does
    # not count, aside) within 1e-5 + 1e-4 |torch|.
    for opt in ("sgd", "adam"):
        torch.manual_seed(seed + 1)
        model = Mlp()
        start = os.path.join(work, "mlp-start.safetensors")
        write_safetensors(start, state_arrays(model))
        x = rng.standard_normal((64, 6)).astype(np.float32)
        target = rng.integers(0, 3, size=64).astype(np.int64)
        data = os.path.join(work, "mlp-data.npz")
        np.savez(data, x=x, target=target)
        trained = os.path.join(work, "mlp-%s.safetensors" % opt)
        r = driver([drv, "fit", "mlp", start, data, trained, opt])
        checks.expect(r.returncode == 0, "fit %s: lathe::train::fit runs" % opt,
                      (r.stdout + r.stderr)[-2000:])
        if r.returncode:
            continue
        model.train()
        if opt == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                        weight_decay=0.001, nesterov=True)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99),
                                         eps=1e-8, weight_decay=0.01)
        for epoch in range(2):
            for b in range(4):
                xb = torch.from_numpy(x[16 * b:16 * (b + 1)])
                tb = torch.from_numpy(target[16 * b:16 * (b + 1)])
                optimizer.zero_grad()
                F.cross_entropy(model(xb), tb).backward()
                optimizer.step()
        got = dict(read_safetensors(trained))
        for key, want in state_arrays(model).items():
            if key.endswith("num_batches_tracked"):
                continue
            result = compare.close(got.get(key), want, 1e-4, 1e-5, key)
            checks.expect(result, "fit %s: %s equals torch's after 8 steps" % (opt, key),
                          result.detail)

    # lathe::compile of a training build: its train_step, run once by the
    # runtime's trainer, takes torch's SGD step.
    base = os.path.join(work, "lenet-train")
    r = driver([drv, "compile-train", "lenet", os.path.join(work, "lenet.safetensors"),
                base])
    checks.expect(r.returncode == 0, "compile-train: a training build of lenet",
                  (r.stdout + r.stderr)[-2000:])
    if r.returncode == 0:
        module = rt.load(base + ".so")
        trainer = rt.trainer(module)
        x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
        t = rng.integers(0, 10, size=8).astype(np.int64)
        rt.step(module, trainer, 0.1, [x, t])
        got = rt.params(module, trainer)
        model = randomized(LeNet, seed)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(t)).backward()
        opt.step()
        for key, want in state_arrays(model).items():
            result = compare.close(got.get(key), want, 1e-4, 1e-6, key)
            checks.expect(result, "compile-train: %s after one train_step equals "
                          "torch's SGD step" % key, result.detail)

    # Every criterion class: a training build stepped once equals torch's
    # criterion (with the same non-default options) and SGD step.
    for kind in CRITERIA:
        torch.manual_seed(seed + 2)
        heads = Heads()
        start = os.path.join(work, "heads.safetensors")
        write_safetensors(start, state_arrays(heads))
        base = os.path.join(work, "heads-" + kind)
        r = driver([drv, "criterion", kind, start, base])
        checks.expect(r.returncode == 0, "criterion %s: a training build" % kind,
                      (r.stdout + r.stderr)[-1500:])
        if r.returncode:
            continue
        loss_fn, targets = criterion_case(kind, rng)
        x = rng.standard_normal((8, 6)).astype(np.float32)
        module = rt.load(base + ".so")
        trainer = rt.trainer(module)
        rt.step(module, trainer, 0.1, [x] + targets)
        got = rt.params(module, trainer)
        opt = torch.optim.SGD(heads.parameters(), lr=0.1)
        loss_fn(heads(torch.from_numpy(x), kind),
                [torch.from_numpy(t) for t in targets]).backward()
        opt.step()
        want = state_arrays(heads)
        worst, ok = "", bool(got)
        for key, value in got.items():
            result = compare.close(value, want.get(key), 1e-4, 1e-6, key)
            if not result:
                ok, worst = False, result.detail
        checks.expect(ok, "criterion %s: one step equals torch's (%s)" % (
            kind, ", ".join(sorted(got))), worst)

    # The example trained from C++: LeNet on the shipped digits.
    out = os.path.join(work, "lenet-digits")
    r = driver([lenet_digits, os.path.join(examples, "..", "digits"), out])
    m = re.search(r"validation accuracy ([0-9.]+)%", r.stdout)
    checks.expect(r.returncode == 0 and m and float(m.group(1)) >= 97.0,
                  "lenet_digits: trained from C++ to >= 97% validation accuracy",
                  (r.stdout + r.stderr)[-1500:])
    if r.returncode == 0:
        samples = np.load(os.path.join(examples, "..", "digits", "samples.npy"))
        labels = [int(v) for v in open(os.path.join(
            examples, "..", "digits", "samples-labels.txt")).read().split()]
        logits = rt.run(rt.load(out + ".so"), "forward", [samples])[0]
        hits = int(np.sum(np.argmax(logits, axis=1) == np.array(labels)))
        checks.expect(hits >= 11, "lenet_digits: its artifact classifies the "
                      "12 shipped samples (%d right)" % hits)

    # The example: torchvision's ResNet-18 written in the DSL.
    st = os.path.join(work, "resnet18.safetensors")
    x_path, y_path = os.path.join(work, "r18_x.npy"), os.path.join(work, "r18_y.npy")
    r = subprocess.run([sys.executable, os.path.join(examples, "export_torchvision.py"),
                        st, "--random", "--seed", str(seed % 100000), "--input", x_path,
                        "--output", y_path, "--batch", "2"], capture_output=True, text=True)
    checks.expect(r.returncode == 0, "resnet18: torchvision's state dict exported",
                  r.stderr[-2000:])
    base = os.path.join(work, "r18")
    r = driver([resnet18, st, base, "2"])
    checks.expect(r.returncode == 0, "resnet18: the example compiles it", r.stderr)
    if r.returncode == 0:
        got = rt.run(rt.load(base + ".so"), "forward", [np.load(x_path)])
        result = compare.close(got[0], np.load(y_path), 1e-3, 1e-4, "resnet18 logits")
        checks.expect(result, "resnet18: matches torchvision", result.detail)

    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
