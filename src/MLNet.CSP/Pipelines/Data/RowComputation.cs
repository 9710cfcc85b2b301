namespace MLNet.CSP.Pipelines.Data;

/// <summary>
/// What a one-to-one image transform computes: how one row's image becomes network input, and how a batch of inputs
/// (with each image's original width and height, for outputs in original pixels) becomes the rows' values.
/// </summary>
/// <param name="Preprocess">One image to a [3, H, W] input tensor (every image of a transform gives the same size).</param>
/// <param name="Compute">A batch [N, 3, H, W] and the original sizes to N x values-per-row floats.</param>
internal sealed record RowComputation(Func<MLImage, Tensor> Preprocess, Action<Tensor, IReadOnlyList<(int Width, int Height)>, Span<float>> Compute);
