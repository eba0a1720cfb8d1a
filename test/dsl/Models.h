// Networks written in the C++ DSL for the tests; check_dsl.py builds the
// same ones in PyTorch (same state_dict names) and compares.
#ifndef LATHE_TEST_DSL_MODELS_H
#define LATHE_TEST_DSL_MODELS_H

#include "basic_block.h"
#include "lathe/nn.h"
#include "lathe/train.h"

namespace dsl_models {

namespace nn = lathe::nn;
namespace F = lathe::nn::functional;

/// The LeNet: 1 x 28 x 28 in, 10 logits out.
struct LeNet : nn::Module {
  nn::Conv2d conv1{nn::Conv2dOptions(1, 6, 5).padding(2)};
  nn::Conv2d conv2{nn::Conv2dOptions(6, 16, 5)};
  nn::Linear fc1{400, 120}, fc2{120, 84}, fc3{84, 10};
  LeNet() { register_modules(conv1, conv2, fc1, fc2, fc3); }
  nn::Tensor forward(nn::Tensor x) {
    x = F::max_pool2d(F::relu(conv1(x)), {2});
    x = F::max_pool2d(F::relu(conv2(x)), {2});
    x = x.flatten(1);
    return fc3(F::relu(fc2(F::relu(fc1(x)))));
  }
};

/// A small ResNet: stem, two stages of basic blocks, pooling, classifier.
struct ResNet : nn::Module {
  nn::Conv2d conv1{nn::Conv2dOptions(3, 16, 3).padding(1).bias(false)};
  nn::BatchNorm2d bn1{16};
  nn::MaxPool2d maxpool{nn::MaxPool2dOptions(3).stride({2}).padding(1)};
  nn::Sequential layer1{std::make_shared<BasicBlock>(16, 16, 1),
                        std::make_shared<BasicBlock>(16, 16, 1)};
  nn::Sequential layer2{std::make_shared<BasicBlock>(16, 32, 2),
                        std::make_shared<BasicBlock>(32, 32, 1)};
  nn::AdaptiveAvgPool2d avgpool{1};
  nn::Linear fc{32, 10};
  ResNet() {
    register_modules(conv1, bn1, maxpool, layer1, layer2, avgpool, fc);
  }
  nn::Tensor forward(nn::Tensor x) {
    x = maxpool(F::relu(bn1(conv1(x))));
    x = layer2(layer1(x));
    return fc(avgpool(x).flatten(1));
  }
};

/// Every option the layers document, at least once (input 2 x 4 x 12 x 12).
struct Zoo : nn::Module {
  nn::Conv2d c1{
      nn::Conv2dOptions(4, 8, 3).padding(1).padding_mode(nn::kReflect)};
  nn::Conv2d c2{
      nn::Conv2dOptions(8, 8, 3).groups(4).dilation({2}).padding_same()};
  nn::Conv2d c3{nn::Conv2dOptions(8, 8, {3, 1})
                    .stride({2, 1})
                    .padding({1, 0})
                    .padding_mode(nn::kCircular)};
  nn::GroupNorm gn{4, 8};
  nn::ConvTranspose2d ct{nn::ConvTranspose2dOptions(8, 6, 3)
                             .stride({2})
                             .padding({1})
                             .output_padding({1})};
  nn::MaxPool2d mp{nn::MaxPool2dOptions(3).stride({2}).ceil_mode(true)};
  nn::AvgPool2d ap{
      nn::AvgPool2dOptions(3).stride({1}).padding({1}).count_include_pad(
          false)};
  nn::AvgPool2d apd{nn::AvgPool2dOptions(2).divisor_override(3)};
  nn::LayerNorm ln{std::vector<int64_t>{6}};
  nn::AdaptiveAvgPool2d pool{3};
  nn::Linear fc{54, 10};
  nn::BatchNorm1d bn{10};
  nn::Dropout drop{0.3};
  nn::Conv1d c1d{nn::Conv1dOptions(4, 4, 5).stride({2}).padding(2).padding_mode(
      nn::kReplicate)};
  nn::Conv3d c3d{nn::Conv3dOptions(4, 2, {1, 3, 3}).padding({0, 1, 1})};
  nn::BatchNorm3d bn3d{2};
  nn::MaxPool3d mp3d{nn::MaxPool3dOptions({1, 2, 2})};
  nn::Sequential acts{nn::GELU("tanh"),   nn::SiLU(),
                      nn::Mish(),         nn::Hardswish(),
                      nn::ELU(0.5),       nn::LeakyReLU(0.2),
                      nn::Softplus(2, 5), nn::CELU(1.5),
                      nn::SELU(),         nn::Hardsigmoid(),
                      nn::LogSigmoid(),   nn::Softsign(),
                      nn::ReLU6(),        nn::Hardtanh(-0.5, 0.5),
                      nn::Sigmoid(),      nn::Tanh(),
                      nn::GELU()};
  Zoo() {
    register_modules(c1, c2, c3, gn, ct, mp, ap, apd, ln, pool, fc, bn, drop,
                     c1d, c3d, bn3d, mp3d, acts);
  }
  std::vector<nn::Tensor> forward(nn::Tensor x) {
    nn::Tensor y = ct(gn(c3(F::relu(c2(c1(x))))));
    y = pool(ln(apd(ap(mp(y)))));
    nn::Tensor q = drop(fc(y.flatten(1)));
    nn::Tensor out0 = bn(q).log_softmax(1);
    // The activations in a row.
    nn::Tensor out1 = acts(q * 3.0);
    nn::Tensor out2 = F::max_pool1d(c1d(x.flatten(2)), {2});
    nn::Tensor out3 = mp3d(bn3d(c3d(x.unsqueeze(2))));
    return {out0, out1, out2, out3, q.softmax(-1)};
  }
};

/// Embedding and the recurrent layers (input: 3 x 7 int64 token ids).
struct Seq : nn::Module {
  nn::Embedding emb{nn::EmbeddingOptions(50, 16).padding_idx(0).max_norm(3.0)};
  nn::LSTM lstm{
      nn::LSTMOptions(16, 12).num_layers(2).bidirectional(true).batch_first(
          true)};
  nn::GRU gru{nn::GRUOptions(24, 10)};
  nn::RNN rnn{nn::RNNOptions(10, 8).nonlinearity("relu").bias(false)};
  Seq() { register_modules(emb, lstm, gru, rnn); }
  std::vector<nn::Tensor> forward(nn::Tensor x) {
    nn::Tensor e = emb(x);
    auto [y, hc] = lstm(e);
    auto [y2, h2] = gru(y.transpose(0, 1));
    auto [y3, h3] = rnn(y2);
    auto [y4, h4] = gru(y.transpose(0, 1), h2); // An initial state.
    return {y, std::get<0>(hc), std::get<1>(hc), y2, h2, y3, h3, y4, h4};
  }
};

/// The remaining activations, shuffles, instance norms, Bilinear and the
/// distances (inputs 2 x 8 x 6 x 6 and 2 x 5).
struct More : nn::Module {
  nn::PReLU prelu{8};
  nn::InstanceNorm2d inorm{nn::InstanceNormOptions(8).affine(true)};
  nn::PixelShuffle shuffle{2};
  nn::PixelUnshuffle unshuffle{2};
  nn::Sequential acts{nn::Threshold(0.1, -2.0), nn::Softshrink(0.3),
                      nn::Hardshrink(0.2), nn::Tanhshrink()};
  nn::GLU glu{1};
  nn::Softmin softmin{1};
  nn::Softmax2d softmax2d;
  nn::Dropout2d d2{0.2};
  nn::AlphaDropout ad{0.1};
  nn::Unflatten unflatten{1, std::vector<int64_t>{4, 36}};
  nn::InstanceNorm1d in1{4};
  nn::Bilinear bil{5, 4, 3};
  nn::PairwiseDistance pd{3.0};
  nn::CosineSimilarity cs{1};
  More() {
    register_modules(prelu, inorm, shuffle, unshuffle, acts, glu, softmin,
                     softmax2d, d2, ad, unflatten, in1, bil, pd, cs);
  }
  std::vector<nn::Tensor> forward(nn::Tensor x, nn::Tensor z) {
    nn::Tensor a = unshuffle(shuffle(inorm(prelu(x))));
    nn::Tensor g = glu(acts(a));
    nn::Tensor o0 = softmax2d(d2(g)), o1 = softmin(ad(g));
    nn::Tensor o2 = in1(unflatten(g.flatten(1)));
    nn::Tensor w = g.mean({2, 3});
    nn::Tensor o3 = bil(z, w);
    nn::Tensor o4 = pd(o3, o3 * 0.5 + 1.0);
    nn::Tensor o5 = cs(w, w.relu() + 0.1);
    return {o0, o1, o2, o3, o4, o5};
  }
};

/// Containers and resampling (input 2 x 3 x 5 x 6).
struct Resample : nn::Module {
  nn::ModuleList blocks{nn::Linear(6, 6), nn::Linear(6, 6)};
  nn::ModuleDict acts;
  nn::ParameterList scales{
      std::vector<nn::Tensor>{nn::ones({1}), nn::full({1}, 2.0)}};
  nn::Upsample up{nn::UpsampleOptions().scale_factor({2.0})};
  Resample() {
    acts->insert("a", nn::ReLU());
    acts->insert("b", nn::Tanh());
    register_modules(blocks, acts, scales, up);
  }
  std::vector<nn::Tensor> forward(nn::Tensor x) {
    nn::Tensor y = x;
    for (size_t i = 0; i < blocks->size(); ++i)
      y = blocks->at<nn::LinearImpl>(i)(y);
    y = acts->at<nn::ReLUImpl>("a")(y) * (*scales)[0] +
        acts->at<nn::TanhImpl>("b")(y) * (*scales)[1];
    return {up(y),
            F::interpolate(y, {9, 7}, {}, "bilinear"),
            F::interpolate(y, {}, {1.5}, "bilinear", true),
            F::interpolate(y.flatten(2), {45}, {}, "linear"),
            F::interpolate(y.unsqueeze(2), {}, {1.0, 2.0, 2.0}, "trilinear"),
            F::interpolate(y, {8, 8}, {}, "bicubic"),
            F::interpolate(y, {7, 9}, {}, "nearest")};
  }
};

/// Attention and the Transformer layers (inputs x 2 x 5 x 16 batch first,
/// a 2 x 5 key padding mask, cross-attention keys 7 x 2 x 12 and values
/// 7 x 2 x 8).
struct Attn : nn::Module {
  nn::MultiheadAttention mha{
      nn::MultiheadAttentionOptions(16, 4).batch_first(true)};
  nn::MultiheadAttention cross{
      nn::MultiheadAttentionOptions(16, 2).kdim(12).vdim(8)};
  nn::TransformerEncoderLayer pre{nn::TransformerEncoderLayerOptions(16, 4)
                                      .dim_feedforward(32)
                                      .norm_first(true)
                                      .activation("gelu")
                                      .batch_first(true)};
  nn::Transformer tf{nn::TransformerOptions()
                         .d_model(16)
                         .nhead(2)
                         .num_encoder_layers(2)
                         .num_decoder_layers(1)
                         .dim_feedforward(24)};
  Attn() { register_modules(mha, cross, pre, tf); }
  std::vector<nn::Tensor> forward(nn::Tensor x, nn::Tensor mask, nn::Tensor k,
                                  nn::Tensor v) {
    nn::Tensor causal = nn::TransformerImpl::generate_square_subsequent_mask(5);
    auto [a, w] = mha(x, x, x, mask);
    nn::Tensor y = pre(a, causal);
    auto [c, cw] =
        cross(y.transpose(0, 1), k, v, nn::Tensor(), true, nn::Tensor(), false);
    nn::Tensor t = tf(c, y.transpose(0, 1), nn::Tensor(), causal);
    return {a, w, y, c, cw, t};
  }
};

/// Tensor operations (inputs x 2 x 3 x 4 and int64 labels 2 x 3).
struct Ops : nn::Module {
  nn::Linear proj{4, 4};
  Ops() { register_modules(proj); }
  std::vector<nn::Tensor> forward(nn::Tensor x, nn::Tensor labels) {
    auto parts = x.chunk(2, 2);                        // Two 2 x 3 x 2 halves.
    nn::Tensor s = nn::stack({parts[0], parts[1]}, 1); // 2 x 2 x 3 x 2
    nn::Tensor e = x.slice(1, 0, 1).expand({2, 3, 4}) + x.repeat({1, 1, 1});
    nn::Tensor r = x.slice(2, 1, 4).repeat({1, 2, 1}); // 2 x 6 x 3
    nn::Tensor sel = x.index_select(2, nn::arange(0.0, 4.0, 2.0));
    nn::Tensor g = x.gather(2, labels.unsqueeze(2).clamp(0, 3).to(nn::kInt64));
    nn::Tensor m = x.masked_fill(x.gt(0.5), -1.0);
    nn::Tensor w = nn::where(x.le(0.0), x * 2.0, proj(x));
    nn::Tensor ein = nn::einsum("bij,bkj->bik", {x, proj(x)});
    nn::Tensor b = nn::bmm(x, proj(x).transpose(1, 2));
    nn::Tensor oh = F::one_hot(labels, 5).to(nn::kFloat32);
    nn::Tensor am = x.argmax(1).to(nn::kFloat32) +
                    x.argmin(1, true).sum({1}).to(nn::kFloat32);
    nn::Tensor mn = x.amin({0, 2}) + x.amax({1}).sum();
    nn::Tensor cmp = (x.eq(x).to(nn::kFloat32) + x.ge(0.1).to(nn::kFloat32) +
                      x.lt(-0.2).to(nn::kFloat32));
    nn::Tensor cr = x * nn::linspace(0.0, 1.0, 4) + nn::eye(3, 4) +
                    nn::ones_like(x) * 0.5 + nn::full_like(x, 0.25);
    nn::Tensor nar = x.narrow(2, 1, 2).split(1, 2)[1];
    return {s, e, r, sel, g, m, w, ein, b, oh, am, mn, cmp, cr, nar};
  }
};

/// LP and adaptive max pooling, local response norm, RReLU, EmbeddingBag,
/// the recurrent cells, max pooling's indices (inputs x 2 x 4 x 7 x 9, ids
/// 3 x 4 int64, bag weights 3 x 4).
struct Rest : nn::Module {
  nn::LPPool2d lp2{2.0, nn::ExpandingArray{2, 2}};
  nn::LPPool1d lp1{3.0, nn::ExpandingArray(3), nn::ExpandingArray(2)};
  nn::AdaptiveMaxPool2d amp{std::vector<int64_t>{3, 4}};
  nn::AdaptiveMaxPool1d amp1{5};
  nn::LocalResponseNorm lrn{3};
  nn::RReLU rrelu{0.1, 0.3};
  nn::EmbeddingBag bag{nn::EmbeddingBagOptions(20, 6).padding_idx(0)};
  nn::EmbeddingBag bagmax{nn::EmbeddingBagOptions(20, 6).mode("max")};
  nn::EmbeddingBag bagsum{nn::EmbeddingBagOptions(20, 6).mode("sum")};
  nn::LSTMCell lc{6, 5};
  nn::GRUCell gc{6, 5};
  nn::RNNCell rc{6, 5, false, "relu"};
  Rest() {
    register_modules(lp2, lp1, amp, amp1, lrn, rrelu, bag, bagmax, bagsum, lc,
                     gc, rc);
  }
  std::vector<nn::Tensor> forward(nn::Tensor x, nn::Tensor ids, nn::Tensor w) {
    nn::Tensor e = bag(ids), e2 = bagmax(ids), e3 = bagsum(ids, w);
    auto [h, c] = lc(e);
    nn::Tensor h2 = gc(e2, h), h3 = rc(e3);
    auto [values, indices] = F::max_pool_with_indices(
        x, nn::MaxPoolOptions(3).stride({2}).padding({1}));
    return {lp2(x.relu()),
            lp1(x.relu().flatten(2)),
            amp(x),
            amp1(x.flatten(2).slice(2, 0, 10)),
            lrn(x),
            rrelu(x),
            e,
            e2,
            e3,
            h,
            c,
            h2,
            h3,
            values,
            indices.to(nn::kFloat32)};
  }
};

/// Unbatched inputs (3 x 6 x 8: C x H x W, or T x I for the recurrent
/// layers), as torch takes them.
struct Unbatched : nn::Module {
  nn::Conv2d conv{nn::Conv2dOptions(3, 4, 3).padding(1)};
  nn::ConvTranspose1d ct{nn::ConvTranspose1dOptions(4, 2, 3).stride({2})};
  nn::MaxPool2d mp{2};
  nn::AvgPool1d ap{2};
  nn::AdaptiveAvgPool2d aap{2};
  nn::InstanceNorm2d norm{4};
  nn::LPPool2d lp{2.0, nn::ExpandingArray{2, 2}};
  nn::LSTM lstm{nn::LSTMOptions(8, 5).num_layers(2)};
  nn::GRU gru{nn::GRUOptions(8, 5).batch_first(true)};
  Unbatched() { register_modules(conv, ct, mp, ap, aap, norm, lp, lstm, gru); }
  std::vector<nn::Tensor> forward(nn::Tensor x) {
    nn::Tensor y = conv(x);
    auto [o, hc] = lstm(x.flatten(0, 1));
    auto [g, gh] = gru(x.flatten(0, 1));
    return {mp(y),
            aap(y),
            norm(y),
            lp(y.relu()),
            ct(y.flatten(1)),
            ap(y.flatten(1)),
            o,
            std::get<0>(hc),
            std::get<1>(hc),
            g,
            gh};
  }
};

/// Criteria as graph ops, reduction none included (inputs x 4 x 5, classes
/// 4 int64, y 4 x 5).
struct Losses : nn::Module {
  nn::Linear fc{5, 5};
  Losses() { register_modules(fc); }
  std::vector<nn::Tensor> forward(nn::Tensor x, nn::Tensor cls, nn::Tensor y) {
    nn::Tensor z = fc(x);
    nn::Tensor w = nn::tensor({1.0f, 2.0f, 0.5f, 1.0f, 1.5f}, {5});
    return {
        F::cross_entropy(z, cls, w, 2, "mean", 0.1),
        F::cross_entropy(z, cls, nn::Tensor(), -100, "none"),
        F::cross_entropy(z, y.softmax(1)),
        F::nll_loss(z.log_softmax(1), cls, w, -100, "sum"),
        F::mse_loss(z, y, "none"), F::l1_loss(z, y),
        F::smooth_l1_loss(z, y, "sum", 0.5), F::huber_loss(z, y, "mean", 0.7),
        F::kl_div(z.log_softmax(1), y.softmax(1), "batchmean"),
        F::binary_cross_entropy(z.sigmoid(), y.sigmoid(), nn::Tensor(), "none"),
        F::binary_cross_entropy_with_logits(z, y.sigmoid(), nn::Tensor(),
                                            "mean", nn::full({5}, 2.0)),
        // The criterion classes called as torch's modules are.
        nn::CrossEntropyLoss(nn::CrossEntropyLossOptions{
            {1.0, 2.0, 0.5, 1.0, 1.5}, 2, "mean", 0.1})(z, cls),
        nn::HuberLoss(0.7)(z, y), nn::BCEWithLogitsLoss(2.0)(z, y.sigmoid()),
        nn::KLDivLoss("batchmean")(z.log_softmax(1), y.softmax(1))};
  }
};

/// Calls a criterion that has no graph form: refused.
struct GraphOnly : nn::Module {
  nn::Linear fc{5, 5};
  GraphOnly() { register_modules(fc); }
  nn::Tensor forward(nn::Tensor x) {
    return nn::MultiMarginLoss()(fc(x), x.argmax(1));
  }
};

/// Keeps a symbolic tensor of its first trace and uses it in the next: the
/// second compile is refused.
struct Stale : nn::Module {
  nn::Linear fc{3, 3};
  nn::Tensor kept;
  Stale() { register_modules(fc); }
  nn::Tensor forward(nn::Tensor x) {
    nn::Tensor y = kept.defined() ? fc(x) + kept : fc(x);
    kept = y;
    return y;
  }
};

/// What Heads returns, by criterion (set before it is compiled).
inline std::string &headsCriterion() {
  static std::string name;
  return name;
}

/// One to three linear heads over 8 x 6 inputs, shaped for each criterion
/// of `lathe train` (its first one, two or three results).
struct Heads : nn::Module {
  nn::Linear a{6, 4}, b{6, 4}, c{6, 4};
  Heads() { register_modules(a, b, c); }
  std::vector<nn::Tensor> forward(nn::Tensor x) {
    const std::string &k = headsCriterion();
    if (k == "kl_div" || k == "nll")
      return {a(x).log_softmax(1)};
    if (k == "bce")
      return {a(x).sigmoid()};
    if (k == "margin_ranking")
      return {a(x).sum({1}), b(x).sum({1})};
    if (k == "cosine_embedding")
      return {a(x), b(x)};
    if (k == "triplet_margin")
      return {a(x), b(x), c(x)};
    if (k == "ctc") // T = 4 steps of N = 2 samples, 4 classes.
      return {a(x).reshape({4, 2, 4}).log_softmax(2)};
    return {a(x)};
  }
};

/// A small classifier with batch norm, for training against torch (input
/// 16 x 6 per batch).
struct Mlp : nn::Module {
  nn::Linear fc1{6, 16};
  nn::BatchNorm1d bn{16};
  nn::Linear fc2{16, 3};
  Mlp() { register_modules(fc1, bn, fc2); }
  nn::Tensor forward(nn::Tensor x) { return fc2(F::relu(bn(fc1(x)))); }
};

/// A user module inside a Sequential whose Linear gets the wrong width:
/// the error names "body.1.fc".
struct Inner : nn::Module {
  nn::Linear fc{20, 5};
  Inner() : nn::Module("Inner") { register_modules(fc); }
  nn::Tensor forward(nn::Tensor x) { return fc(x); }
};
struct Mismatch : nn::Module {
  nn::Sequential body{nn::Linear(8, 10), std::make_shared<Inner>()};
  Mismatch() { register_modules(body); }
  nn::Tensor forward(nn::Tensor x) { return body(x); }
};

} // namespace dsl_models

#endif // LATHE_TEST_DSL_MODELS_H
