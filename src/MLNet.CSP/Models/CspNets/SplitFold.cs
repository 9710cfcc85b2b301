namespace MLNet.CSP.Models.CspNets;

/// <summary>
/// Inference form of a cross stage's split and fusion without copies: the expansion conv is cut into two convs
/// (one per half, so neither half is a strided channel slice), and the fusion transition over
/// <c>cat([first, second])</c> is computed as <c>W_first * first + W_second * second</c>, so the concatenation
/// is never materialised. BatchNorms are folded; outputs equal the plain eval path up to float rounding.
/// </summary>
internal sealed class SplitFold : IDisposable
{
    private readonly FoldedConv expandFirst;
    private readonly FoldedConv expandSecond;
    private readonly ActivationKind expandActivation;
    private readonly FoldedConv fuseFirst;
    private readonly FoldedConv fuseSecond;
    private readonly ActivationKind fuseActivation;

    public SplitFold(ConvNormAct expand, ConvNormAct fuse, int half)
    {
        using var e = expand.CreateFolded();
        using var f = fuse.CreateFolded();
        expandFirst = e.SliceOutputs(0, half);
        expandSecond = e.SliceOutputs(half, half);
        expandActivation = expand.Activation;
        fuseFirst = f.SliceInputs(0, half, withBias: true);
        fuseSecond = f.SliceInputs(half, fuse.InChannels - half, withBias: false);
        fuseActivation = fuse.Activation;
    }

    /// <summary>
    /// Disposes <paramref name="current"/> and, given the two layers, builds a new fold in its place; the layers' own
    /// folded copies are dropped, since the stage runs them only through this fold.
    /// </summary>
    public static void Replace(ref SplitFold? current, ConvNormAct? expand, ConvNormAct? fuse, int half)
    {
        current?.Dispose();
        current = null;
        if (expand is null || fuse is null) return;
        current = new SplitFold(expand, fuse, half);
        expand.Unfold();
        fuse.Unfold();
    }

    public Tensor FirstHalf(Tensor x) => Activations.Apply(expandFirst.Forward(x), expandActivation, inPlace: true);

    public Tensor SecondHalf(Tensor x) => Activations.Apply(expandSecond.Forward(x), expandActivation, inPlace: true);

    /// <summary>The transition over the (virtual) concatenation of <paramref name="first"/> and <paramref name="second"/>.</summary>
    public Tensor Fuse(Tensor first, Tensor second)
    {
        var output = fuseFirst.Forward(first);
        fuseSecond.AccumulateInto(output, second);
        return Activations.Apply(output, fuseActivation, inPlace: true);
    }

    public void Dispose()
    {
        expandFirst.Dispose();
        expandSecond.Dispose();
        fuseFirst.Dispose();
        fuseSecond.Dispose();
    }
}
