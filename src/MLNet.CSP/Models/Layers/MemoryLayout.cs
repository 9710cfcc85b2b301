namespace MLNet.CSP.Models.Layers;

/// <summary>Memory-format helpers (TorchSharp has no <c>memory_format</c> argument on <c>contiguous</c>).</summary>
internal static class MemoryLayout
{
    /// <summary>An NCHW-shaped view whose storage is NHWC ("channels-last"), which oneDNN convolutions run fastest on.</summary>
    public static Tensor ToChannelsLast(Tensor x)
    {
        if (x.dim() != 4) return x.alias();
        // Each intermediate is held by a variable until the native call that reads it returns: an unreferenced temporary
        // can be finalized (and its native tensor freed) during the call.
        using var permuted = x.permute(0, 2, 3, 1);
        using var nhwc = permuted.contiguous();
        return nhwc.permute(0, 3, 1, 2);
    }

    /// <summary>Channels are the innermost dimension (an NHWC layout, possibly a channel slice of a wider one).</summary>
    public static bool IsChannelsLast(Tensor x) => x.dim() == 4 && x.stride(1) == 1 && x.shape[1] > 1 && x.stride(3) >= x.shape[1];
}
