namespace MLNet.CSP.Models.Layers;

/// <summary>
/// An eval-mode BatchNorm as a per-channel affine map, <c>y = x * scale + shift</c> with <c>scale = g / sqrt(v + eps)</c> and
/// <c>shift = beta - mean * scale</c>, computed in double in managed code. No libtorch scalar arithmetic is involved: TorchSharp's
/// implicit <c>Scalar</c> temporaries (the epsilon, an <c>add</c>'s alpha) could be finalized during the native call under GC
/// pressure, which failed folding in CI with "Unknown scalar type".
/// </summary>
internal static class BatchNormAffine
{
    /// <summary>Scale and shift [C] of <paramref name="bn"/>, of type <paramref name="dtype"/> on the norm's device.</summary>
    public static (Tensor Scale, Tensor Shift) Of(BatchNorm2d bn, ScalarType dtype)
    {
        double[] gamma = Values(bn.weight!), beta = Values(bn.bias!), mean = Values(bn.running_mean!), variance = Values(bn.running_var!);
        var scale = new double[gamma.Length];
        var shift = new double[gamma.Length];
        for (int c = 0; c < gamma.Length; c++)
        {
            scale[c] = gamma[c] / Math.Sqrt(variance[c] + bn.eps);
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        var device = bn.weight!.device;
        return (torch.tensor(scale, dtype: dtype, device: device), torch.tensor(shift, dtype: dtype, device: device));
    }

    private static double[] Values(Tensor t)
    {
        using var cpu = t.detach().to(ScalarType.Float64, torch.CPU).contiguous();
        return cpu.data<double>().ToArray();
    }
}
