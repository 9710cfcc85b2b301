namespace MLNet.CSP.Models.Layers;

/// <summary>Parameter-free pooling helpers.</summary>
internal static class Pooling
{
    /// <summary>Global average pool of an NCHW map to [N, C].</summary>
    public static Tensor GlobalAverage(Tensor x) => x.mean([2L, 3L]);

    /// <summary>3x3 stride-2 max pool with padding 1 (ResNet / CSP stems).</summary>
    public static Tensor StemMaxPool(Tensor x) => nn.functional.max_pool2d(x, 3, 2, 1);
}
