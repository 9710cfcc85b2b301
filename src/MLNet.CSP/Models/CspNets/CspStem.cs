namespace MLNet.CSP.Models.CspNets;

/// <summary>
/// Stem of the CSP family (timm <c>create_csp_stem</c>): convolutions <c>conv1..convN</c>, the first strided when the
/// stem stride is above 1, the last strided when the stride is 4 and there is no pool; optional 3x3/2 max pool.
/// </summary>
public sealed class CspStem : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly List<ConvNormAct> convs = [];
    private readonly bool maxPool;

    /// <summary>Builds the stem.</summary>
    public CspStem(int inChannels, CspStemConfig cfg, ActivationKind activation) : base(nameof(CspStem))
    {
        if (cfg.OutChannels.Count == 0) throw new ArgumentException("A stem needs at least one convolution.", nameof(cfg));
        if (cfg.Stride is not (1 or 2 or 4)) throw new ArgumentException($"Stem stride must be 1, 2 or 4, got {cfg.Stride}.", nameof(cfg));
        if (cfg.MaxPool && cfg.Stride <= 2) throw new ArgumentException("A pooled stem needs stride 4.", nameof(cfg));
        int channels = inChannels;
        int last = cfg.OutChannels.Count - 1;
        for (int i = 0; i <= last; i++)
        {
            bool strided = (i == 0 && cfg.Stride > 1) || (i == last && cfg.Stride > 2 && !cfg.MaxPool);
            var conv = new ConvNormAct(channels, cfg.OutChannels[i], cfg.KernelSize, strided ? 2 : 1, activation: activation);
            register_module($"conv{i + 1}", conv);
            convs.Add(conv);
            channels = cfg.OutChannels[i];
        }
        maxPool = cfg.MaxPool;
        OutChannels = channels;
    }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Run(x, null);

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        string current = input;
        for (int i = 0; i < convs.Count; i++) current = graph.Module($"conv{i + 1}", convs[i], current);
        return maxPool ? graph.MaxPool(current, 3, 2, 1) : current;
    }

    /// <summary>Runs the stem, reporting its last convolution's output (before any pool) as a pyramid level, as timm does.</summary>
    internal Tensor Run(Tensor x, FeatureTap? tap)
    {
        Tensor current = x;
        foreach (var conv in convs)
        {
            var next = conv.call(current);
            if (!ReferenceEquals(current, x)) current.Dispose();
            current = next;
        }
        tap?.Invoke($"stem.conv{convs.Count}", current, TapKind.Level);
        if (!maxPool) return current;
        using (current) return Pooling.StemMaxPool(current);
    }
}
