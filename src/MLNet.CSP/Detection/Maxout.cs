namespace MLNet.CSP.Detection;

/// <summary>
/// Maxout across channel groups as darknet's <c>[maxpool] maxpool_depth=1</c> computes it: output channel <c>g</c> of
/// <c>C</c> is the maximum of input channels <c>g, g + C, g + 2C, ...</c> (so for pieces concatenated along channels it is
/// the element-wise maximum of the pieces). The gradient flows to the maximum only.
/// </summary>
public static class Maxout
{
    /// <summary>Maximum over the channel groups of <paramref name="x"/> [N, k*C, H, W] -> [N, C, H, W].</summary>
    public static Tensor Forward(Tensor x, int outChannels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        if (x.dim() != 4 || x.shape[1] % outChannels != 0)
            throw new ArgumentException($"Maxout needs [N, k*{outChannels}, H, W]; got [{string.Join(", ", x.shape)}].", nameof(x));
        long pieces = x.shape[1] / outChannels;
        using var grouped = x.view(x.shape[0], pieces, outChannels, x.shape[2], x.shape[3]);
        return grouped.amax([1L]);
    }

    /// <summary>The element-wise maximum of maps of equal shape (Maxout over their concatenation, without building it).</summary>
    public static Tensor OfPieces(IReadOnlyList<Tensor> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        if (pieces.Count == 0) throw new ArgumentException("Maxout needs at least one piece.", nameof(pieces));
        var result = pieces[0].alias();
        for (int i = 1; i < pieces.Count; i++)
        {
            using var previous = result;
            result = previous.maximum(pieces[i]);
        }
        return result;
    }
}
