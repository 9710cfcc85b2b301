namespace MLNet.CSP.Detection;

/// <summary>
/// Fuses a backbone's pyramid (maps at strides 4, 8, 16 and 32) into the three maps the heads read (strides 8, 16, 32).
/// </summary>
public abstract class DetectionNeck : nn.Module<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>>
{
    /// <summary>Strides of the backbone levels a neck reads, lowest first.</summary>
    public static IReadOnlyList<int> InputStrides { get; } = [4, 8, 16, 32];

    /// <summary>Strides of the maps a neck returns, lowest first.</summary>
    public static IReadOnlyList<int> OutputStrides { get; } = [8, 16, 32];

    private protected DetectionNeck(string name, IReadOnlyList<int> inChannels) : base(name)
    {
        ArgumentNullException.ThrowIfNull(inChannels);
        if (inChannels.Count != InputStrides.Count || inChannels.Any(c => c < 1))
            throw new ArgumentException($"A neck needs the channels of {InputStrides.Count} backbone levels (strides 4/8/16/32); got [{string.Join(", ", inChannels)}].", nameof(inChannels));
        Widths = [.. inChannels.Skip(1).Select(ScaleWidth)];
    }

    /// <summary>Channels of each returned map (strides 8, 16, 32): half the backbone level's, 32 to 512.</summary>
    public IReadOnlyList<int> OutChannels => Widths;

    /// <summary>The widths of the three output scales.</summary>
    private protected int[] Widths { get; }

    /// <summary>Creates the neck of the given kind for a backbone whose levels at strides 4/8/16/32 have these channels.</summary>
    public static DetectionNeck Create(NeckKind kind, IReadOnlyList<int> inChannels, ActivationKind activation = ActivationKind.LeakyReLU) => kind switch
    {
        NeckKind.Efm => new EfmNeck(inChannels, activation),
        NeckKind.PanetSpp => new PanetSppNeck(inChannels, activation),
        NeckKind.Fpn => new FpnNeck(inChannels, activation),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown neck."),
    };

    /// <summary>The width a neck gives the scale whose backbone level has <paramref name="backboneChannels"/>: half of it, 32 to 512.</summary>
    internal static int ScaleWidth(int backboneChannels) => Math.Clamp(backboneChannels / 2, 32, 512);

    /// <summary>Nearest-neighbour upsampling of <paramref name="x"/> to the spatial size of <paramref name="like"/>.</summary>
    internal static Tensor UpsampleTo(Tensor x, Tensor like) =>
        nn.functional.interpolate(x, [like.shape[2], like.shape[3]], mode: InterpolationMode.Nearest);

    /// <summary>Writes the neck into an ONNX graph: backbone levels (strides 4/8/16/32) in, fused maps (strides 8/16/32) out.</summary>
    internal abstract IReadOnlyList<string> ExportOnnx(OnnxGraph graph, IReadOnlyList<string> levels);

    /// <summary>Checks the maps given to <c>forward</c>.</summary>

    private protected static void CheckLevels(IReadOnlyList<Tensor> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count != InputStrides.Count)
            throw new ArgumentException($"A neck reads {InputStrides.Count} backbone maps (strides 4/8/16/32); got {levels.Count}.", nameof(levels));
    }
}
