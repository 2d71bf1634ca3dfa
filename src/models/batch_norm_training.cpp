#include "batch_norm_training.h"

#include "reff/error.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/ops/native_batch_norm.h>
#include <ATen/ops/native_batch_norm_backward.h>
#include <torch/autograd.h>

#include <array>
#include <vector>

namespace reff::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Per channel c, over its N values (batch x plane), with x^ = (x - mu) r, r = 1/sqrt(sigma^2 +
// eps): the first derivative (LibTorch's) given g = dL/dy is
//   dL/dx = gamma r (g - <g> - x^ <g x^>),
// and, given u = the gradient arriving at dL/dx and u_gamma, u_beta those arriving at dL/dgamma
// = sum g x^ and dL/dbeta = sum g, its derivatives are (k = <u g> - <u><g> - <u x^><g x^>):
//   d/dx     = -gamma r^2 (x^ (k - 2 <u x^><g x^>) + <g x^> (u - <u>) + <u x^> (g - <g>))
//              + u_gamma r (g - <g> - x^ <g x^>)
//   d/dg     = gamma r (u - <u> - x^ <u x^>) + u_beta + u_gamma x^
//   d/dgamma = N r k
// i.e. five sums per channel, then one element-wise pass.
struct Sums {
  double u = 0, u_xhat = 0, g = 0, g_xhat = 0, u_g = 0;
};

// Adds one contiguous run of a channel's values (NCHW) to its sums, in kLanes partial sums that
// vectorise.
template <typename T>
void add_run(const T* x, const T* g, const T* u, int64_t n, T mu, T r, Sums& sums) {
  constexpr int64_t kLanes = 8;
  std::array<std::array<T, kLanes>, 5> lanes{};
  int64_t i = 0;
  const auto add = [&](int64_t at, int64_t lane) {
    const T xhat = (x[at] - mu) * r;
    lanes[0][lane] += u[at];
    lanes[1][lane] += u[at] * xhat;
    lanes[2][lane] += g[at];
    lanes[3][lane] += g[at] * xhat;
    lanes[4][lane] += u[at] * g[at];
  };
  for (; i + kLanes <= n; i += kLanes) {
    for (int64_t lane = 0; lane < kLanes; ++lane) add(i + lane, lane);
  }
  for (; i < n; ++i) add(i, 0);
  std::array<double, 5> total{};
  for (size_t k = 0; k < lanes.size(); ++k) {
    for (const T value : lanes[k]) total[k] += value;
  }
  sums.u += total[0];
  sums.u_xhat += total[1];
  sums.g += total[2];
  sums.g_xhat += total[3];
  sums.u_g += total[4];
}

// One channel's second derivative from its sums:
//   d/dx = x^ a_xhat + u a_u + g a_g + a_0,  d/dg = u b_u + x^ b_xhat + b_0,  and d/dgamma.
template <typename T>
struct Coefficients {
  T mu, r, a_xhat, a_u, a_g, a_0, b_u, b_xhat, b_0, d_gamma;

  Coefficients(const Sums& sums, double count, T mu_, T r_, double gamma, double u_gamma,
               double u_beta)
      : mu(mu_), r(r_) {
    const double mean_u = sums.u / count, mean_u_xhat = sums.u_xhat / count;
    const double mean_g = sums.g / count, mean_g_xhat = sums.g_xhat / count;
    const double k = sums.u_g / count - mean_u * mean_g - mean_u_xhat * mean_g_xhat;
    const double gr = gamma * double(r), gr2 = gr * double(r), ug_r = u_gamma * double(r);
    a_xhat = T(-gr2 * (k - 2 * mean_u_xhat * mean_g_xhat) - ug_r * mean_g_xhat);
    a_u = T(-gr2 * mean_g_xhat);
    a_g = T(-gr2 * mean_u_xhat + ug_r);
    a_0 = T(gr2 * (mean_g_xhat * mean_u + mean_u_xhat * mean_g) - ug_r * mean_g);
    b_u = T(gr);
    b_xhat = T(u_gamma - gr * mean_u_xhat);
    b_0 = T(u_beta - gr * mean_u);
    d_gamma = T(count * double(r) * k);
  }

  void apply(T x, T g, T u, T& dx, T& dg) const {
    const T xhat = (x - mu) * r;
    dx = xhat * a_xhat + u * a_u + g * a_g + a_0;
    dg = u * b_u + xhat * b_xhat + b_0;
  }
};

struct SecondDerivative {
  torch::Tensor of_grad_output, of_input, of_weight;
};

// The tensors of one second derivative, as pointers; NCHW or NHWC, all in the same layout.
template <typename T>
struct Operands {
  const T *x, *g, *u, *gamma, *mean, *invstd, *u_gamma, *u_beta;
  T *dx, *dg, *d_gamma;
  int64_t batch, channels, plane;  // plane: H x W

  Coefficients<T> coefficients(int64_t c, const Sums& sums) const {
    return {sums,     double(batch * plane), mean[c],          invstd[c],
            gamma[c], double(u_gamma[c]),    double(u_beta[c])};
  }
};

// NCHW: each channel's values are `batch` runs of `plane`; threads split the channels.
template <typename T>
void second_derivative_nchw(const Operands<T>& o) {
  at::parallel_for(0, o.channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      Sums sums;
      for (int64_t n = 0; n < o.batch; ++n) {
        const int64_t run = (n * o.channels + c) * o.plane;
        add_run(o.x + run, o.g + run, o.u + run, o.plane, o.mean[c], o.invstd[c], sums);
      }
      const auto k = o.coefficients(c, sums);
      o.d_gamma[c] = k.d_gamma;
      for (int64_t n = 0; n < o.batch; ++n) {
        const int64_t run = (n * o.channels + c) * o.plane;
        for (int64_t i = run; i < run + o.plane; ++i)
          k.apply(o.x[i], o.g[i], o.u[i], o.dx[i], o.dg[i]);
      }
    }
  });
}

// NHWC (channels-last): each position holds all channels; threads split the channels, and the
// inner loops run over a thread's channels, which vectorises.
template <typename T>
void second_derivative_nhwc(const Operands<T>& o) {
  const int64_t positions = o.batch * o.plane;
  at::parallel_for(0, o.channels, 1, [&](int64_t begin, int64_t end) {
    std::vector<Sums> sums(size_t(end - begin));
    for (int64_t p = 0; p < positions; ++p) {
      const int64_t at = p * o.channels;
      for (int64_t c = begin; c < end; ++c) {
        const T xhat = (o.x[at + c] - o.mean[c]) * o.invstd[c];
        Sums& s = sums[size_t(c - begin)];
        s.u += o.u[at + c];
        s.u_xhat += o.u[at + c] * xhat;
        s.g += o.g[at + c];
        s.g_xhat += o.g[at + c] * xhat;
        s.u_g += o.u[at + c] * o.g[at + c];
      }
    }
    std::vector<Coefficients<T>> k;
    k.reserve(sums.size());
    for (int64_t c = begin; c < end; ++c) {
      k.push_back(o.coefficients(c, sums[size_t(c - begin)]));
      o.d_gamma[c] = k.back().d_gamma;
    }
    for (int64_t p = 0; p < positions; ++p) {
      const int64_t at = p * o.channels;
      for (int64_t c = begin; c < end; ++c) {
        const int64_t i = at + c;
        k[size_t(c - begin)].apply(o.x[i], o.g[i], o.u[i], o.dx[i], o.dg[i]);
      }
    }
  });
}

bool is_channels_last(const torch::Tensor& t) {
  return !t.is_contiguous() && t.dim() == 4 && t.is_contiguous(at::MemoryFormat::ChannelsLast);
}

SecondDerivative second_derivative(const torch::Tensor& grad_output, const torch::Tensor& input,
                                   const torch::Tensor& weight, const torch::Tensor& mean,
                                   const torch::Tensor& invstd, const torch::Tensor& u_input,
                                   const torch::Tensor& u_weight, const torch::Tensor& u_bias) {
  REFF_REQUIRE(!torch::GradMode::is_enabled(), "BatchNorm",
               "its second derivative is not differentiable again (third-order gradients)");
  const bool nhwc = is_channels_last(input);
  const auto layout = nhwc ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  const auto g = grad_output.contiguous(layout);
  const auto u = u_input.defined() ? u_input.contiguous(layout) : torch::zeros_like(input);
  const auto gamma = weight.contiguous();
  const auto u_gamma = u_weight.defined() ? u_weight.contiguous() : torch::zeros_like(weight);
  const auto u_beta = u_bias.defined() ? u_bias.contiguous() : torch::zeros_like(weight);
  SecondDerivative out{torch::empty_like(input, layout), torch::empty_like(input, layout),
                       torch::empty_like(gamma)};
  const int64_t batch = input.size(0), channels = input.size(1);
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "batch_norm_second_derivative", [&] {
    const Operands<scalar_t> o{input.data_ptr<scalar_t>(),
                               g.data_ptr<scalar_t>(),
                               u.data_ptr<scalar_t>(),
                               gamma.data_ptr<scalar_t>(),
                               mean.data_ptr<scalar_t>(),
                               invstd.data_ptr<scalar_t>(),
                               u_gamma.data_ptr<scalar_t>(),
                               u_beta.data_ptr<scalar_t>(),
                               out.of_input.data_ptr<scalar_t>(),
                               out.of_grad_output.data_ptr<scalar_t>(),
                               out.of_weight.data_ptr<scalar_t>(),
                               batch,
                               channels,
                               input.numel() / (batch * channels)};
    if (nhwc) {
      second_derivative_nhwc(o);
    } else {
      second_derivative_nchw(o);
    }
  });
  return out;
}

// (dL/dy, x, gamma, saved mean, saved 1/sigma) -> (dL/dx, dL/dgamma, dL/dbeta), LibTorch's kernel;
// its own derivative is second_derivative.
struct BatchNormGradient : torch::autograd::Function<BatchNormGradient> {
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& grad_output,
                               const torch::Tensor& input, const torch::Tensor& weight,
                               const torch::Tensor& mean, const torch::Tensor& invstd, double eps) {
    ctx->save_for_backward({grad_output, input, weight, mean, invstd});
    ctx->set_materialize_grads(false);
    auto [grad_input, grad_weight, grad_bias] = at::native_batch_norm_backward(
        grad_output, input, weight, {}, {}, mean, invstd, /*train=*/true, eps, {true, true, true});
    return {grad_input, grad_weight, grad_bias};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    if (!grads[0].defined() && !grads[1].defined() && !grads[2].defined()) {
      return variable_list(6);
    }
    const auto saved = ctx->get_saved_variables();
    auto d = second_derivative(saved[0], saved[1], saved[2], saved[3], saved[4], grads[0], grads[1],
                               grads[2]);
    return {d.of_grad_output, d.of_input, d.of_weight, {}, {}, {}};
  }
};

struct BatchNormTraining : torch::autograd::Function<BatchNormTraining> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               const torch::Tensor& running_mean, const torch::Tensor& running_var,
                               double momentum, double eps) {
    auto [output, mean, invstd] =
        at::native_batch_norm(input, weight, bias, running_mean, running_var, true, momentum, eps);
    ctx->save_for_backward({input, weight, mean, invstd});
    ctx->saved_data["eps"] = eps;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    auto d = BatchNormGradient::apply(grads[0], saved[0], saved[1], saved[2], saved[3],
                                      ctx->saved_data["eps"].toDouble());
    const auto if_needed = [&](size_t i, torch::Tensor& grad) {
      return ctx->needs_input_grad(i) ? grad : torch::Tensor();
    };
    return {if_needed(0, d[0]), if_needed(1, d[1]), if_needed(2, d[2]), {}, {}, {}, {}};
  }
};

}  // namespace

bool fused_batch_norm_applies(const torch::Tensor& input, const torch::Tensor& weight) {
  const auto type = input.scalar_type();
  return input.is_cpu() && input.dim() >= 2 && input.numel() > 0 &&
         (input.is_contiguous() || is_channels_last(input)) && weight.defined() &&
         (type == torch::kFloat || type == torch::kDouble) && weight.scalar_type() == type;
}

torch::Tensor batch_norm_training(const torch::Tensor& input, const torch::Tensor& weight,
                                  const torch::Tensor& bias, const torch::Tensor& running_mean,
                                  const torch::Tensor& running_var, double momentum, double eps) {
  return BatchNormTraining::apply(input, weight, bias, running_mean, running_var, momentum, eps);
}

}  // namespace reff::models
