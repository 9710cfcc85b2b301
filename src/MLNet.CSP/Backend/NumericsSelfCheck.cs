namespace MLNet.CSP.Backend;

/// <summary>
/// Small float32 convolutions of the shapes oneDNN gets wrong on machines with a hidden cache topology (input channels that are
/// not a multiple of 16, 1x1 convolutions on small maps with several threads, strided and grouped kernels), forward and backward,
/// in both layouts, against float64. Draws its data from its own generator, so the global random state is untouched.
/// </summary>
internal static class NumericsSelfCheck
{
    private sealed record Case(string Name, int Batch, int InChannels, int OutChannels, int Kernel, int Size, int Stride, int Groups, bool ChannelsLast);

    private static readonly Case[] Cases =
    [
        new("3x3 24->32 16x16 NCHW", 2, 24, 32, 3, 16, 1, 1, false),
        new("5x5 20->16 12x12 NCHW", 2, 20, 16, 5, 12, 1, 1, false),
        new("3x3/2 36->32 16x16 NCHW", 2, 36, 32, 3, 16, 2, 1, false),
        new("3x3/2 3->16 32x32 NCHW (stem)", 2, 3, 16, 3, 32, 2, 1, false),
        new("1x1 40->64 8x8 NCHW", 2, 40, 64, 1, 8, 1, 1, false),
        new("3x3 24->32 16x16 channels-last", 2, 24, 32, 3, 16, 1, 1, true),
        new("3x3 48->48 14x14 channels-last", 2, 48, 48, 3, 14, 1, 1, true),
        new("3x3/2 3->16 32x32 channels-last (stem)", 2, 3, 16, 3, 32, 2, 1, true),
        new("3x3 64->64 groups 32 8x8 channels-last", 2, 64, 64, 3, 8, 1, 32, true),
        new("3x3 128->128 1x1 map channels-last", 2, 128, 128, 3, 1, 1, 1, true),
        new("1x1/2 40->64 8x8 channels-last", 2, 40, 64, 1, 8, 2, 1, true),
        new("1x1 256->512 2x2 batch 12 channels-last", 12, 256, 512, 1, 2, 1, 1, true),
    ];

    /// <summary>
    /// Runs every case through <see cref="Convolutions"/> on <paramref name="path"/>. <paramref name="skipChannelsLastPointwise"/>
    /// leaves out the channels-last 1x1 cases on the oneDNN path, whose kernel blocking can kill the process (SIGFPE) where the
    /// cache topology is hidden.
    /// </summary>
    public static IReadOnlyList<SelfCheckResult> Run(ConvolutionPath path, bool skipChannelsLastPointwise = false) =>
        Run((x, w, b, stride, padding, dilation, groups) => Convolutions.Forward(x, w, b, stride, padding, dilation, groups, path),
            skipChannelsLastPointwise && path == ConvolutionPath.OneDnn);

    /// <summary>A float32 convolution under test: input, weight, bias, stride, padding, dilation, groups.</summary>
    internal delegate Tensor Convolve(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation, long groups);

    /// <summary>Runs every case through <paramref name="convolve"/> (tests pass a faulty one).</summary>
    internal static IReadOnlyList<SelfCheckResult> Run(Convolve convolve, bool skipChannelsLastPointwise)
    {
        var results = new List<SelfCheckResult>();
        using var generator = new Generator(20201123);
        using var grad = torch.enable_grad();
        foreach (var c in Cases)
        {
            if (skipChannelsLastPointwise && c.ChannelsLast && c.Kernel == 1) continue;
            results.Add(RunCase(c, convolve, generator));
        }
        return results;
    }

    private static SelfCheckResult RunCase(Case c, Convolve convolve, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn([c.Batch, c.InChannels, c.Size, c.Size], generator: generator);
        var w = torch.randn([c.OutChannels, c.InChannels / c.Groups, c.Kernel, c.Kernel], generator: generator) / Math.Sqrt(c.InChannels / c.Groups * c.Kernel * c.Kernel);
        var b = torch.randn([c.OutChannels], generator: generator);
        long[] stride = [c.Stride, c.Stride], padding = [c.Kernel / 2, c.Kernel / 2], dilation = [1, 1];

        var (y32, dx32, dw32) = ForwardBackward(x, w, b, c, (xi, wi, bi) => convolve(xi, wi, bi, stride, padding, dilation, c.Groups), ScalarType.Float32);
        var (y64, dx64, dw64) = ForwardBackward(x, w, b, c, (xi, wi, bi) => nn.functional.conv2d(xi, wi, bi, stride, padding, dilation, c.Groups), ScalarType.Float64);
        return new SelfCheckResult(c.Name, Error(y32, y64), Error(dx32, dx64), Error(dw32, dw64));
    }

    private static (Tensor Y, Tensor Dx, Tensor Dw) ForwardBackward(Tensor x, Tensor w, Tensor b, Case c, Func<Tensor, Tensor, Tensor, Tensor> conv, ScalarType dtype)
    {
        var xi = x.to(dtype);
        if (c.ChannelsLast) xi = MemoryLayout.ToChannelsLast(xi);
        xi = xi.detach().requires_grad_(true);
        var wi = w.to(dtype).detach().requires_grad_(true);
        var y = conv(xi, wi, b.to(dtype));
        using var g = new Generator(7);
        var upstream = torch.randn(y.shape, generator: g).to(dtype);
        (y * upstream).sum().backward();
        return (y.detach(), xi.grad!, wi.grad!);
    }

    private static double Error(Tensor actual, Tensor expected)
    {
        using var scope = torch.NewDisposeScope();
        var e = expected.to(ScalarType.Float64);
        double norm = e.norm().item<double>();
        double diff = (actual.to(ScalarType.Float64) - e).norm().item<double>();
        return norm == 0 ? diff : diff / norm;
    }
}
