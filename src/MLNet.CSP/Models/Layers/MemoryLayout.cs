using static TorchSharp.torch;

namespace MLNet.CSP.Models.Layers;

/// <summary>Memory-format helpers (TorchSharp has no <c>memory_format</c> argument on <c>contiguous</c>).</summary>
internal static class MemoryLayout
{
    /// <summary>An NCHW-shaped view whose storage is NHWC ("channels-last"), which oneDNN convolutions run fastest on.</summary>
    public static Tensor ToChannelsLast(Tensor x)
    {
        if (x.dim() != 4) return x.alias();
        using var nhwc = x.permute(0, 2, 3, 1).contiguous();
        return nhwc.permute(0, 3, 1, 2);
    }
}
