namespace MLNet.CSP.Backend;

/// <summary>
/// The one place where the networks convolve. On the <see cref="ConvolutionPath.OneDnn"/> path (healthy machines, GPUs,
/// other dtypes) it is libtorch's <c>conv2d</c>; on the safe paths 1x1 convolutions become matrix products and larger kernels
/// run channels-last, in whichever layout the input came. Differentiable on every path.
/// </summary>
internal static class Convolutions
{
    /// <summary>Convolves on the path <see cref="TorchBackend"/> chose for the current thread count.</summary>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups) =>
        Forward(x, weight, bias, stride, padding, dilation, groups,
            x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 ? TorchBackend.CurrentPath() : ConvolutionPath.OneDnn);

    /// <summary>Convolves on <paramref name="path"/> (the self-check calls each candidate).</summary>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias, long[] stride, long[] padding, long[] dilation, long groups, ConvolutionPath path)
    {
        if (path == ConvolutionPath.OneDnn || x.device_type != DeviceType.CPU || x.dtype != ScalarType.Float32)
            return nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups);
        if (groups == 1 && weight.shape[2] == 1 && weight.shape[3] == 1 && padding.All(p => p == 0) && dilation.All(d => d == 1))
            return Pointwise(x, weight, bias, stride);
        if (path == ConvolutionPath.NoOneDnn)
            return nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups);
        // Channels-last input and weight: oneDNN then takes its NHWC kernels, which the self-check proved right.
        using var input = MemoryLayout.IsChannelsLast(x) ? null : MemoryLayout.ToChannelsLast(x);
        using var w = MemoryLayout.IsChannelsLast(weight) ? null : MemoryLayout.ToChannelsLast(weight);
        return nn.functional.conv2d(input ?? x, w ?? weight, bias, stride, padding, dilation, groups);
    }

    /// <summary>A 1x1 convolution as one matrix product: rows of pixels for channels-last input, one product per image for NCHW.</summary>
    private static Tensor Pointwise(Tensor x, Tensor weight, Tensor? bias, long[] stride)
    {
        using var scope = torch.NewDisposeScope();
        var input = stride.All(s => s == 1) ? x : x.slice(2, 0, x.shape[2], stride[0]).slice(3, 0, x.shape[3], stride[1]);
        long n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3], outputs = weight.shape[0];
        var matrix = weight.reshape(outputs, c);
        Tensor result;
        if (input.stride(1) == 1) // channels innermost: pixels are rows of the product
        {
            var rows = input.permute(0, 2, 3, 1).reshape(-1, c); // a view with a row stride where the pixels allow it
            var y = bias is null ? rows.mm(matrix.t()) : torch.addmm(bias, rows, matrix.t(), 1, 1);
            result = y.view(n, h, w, outputs).permute(0, 3, 1, 2);
        }
        else
        {
            var y = torch.matmul(matrix, input.reshape(n, c, h * w));
            if (bias is not null) y = y.add_(bias.view(-1, 1));
            result = y.view(n, outputs, h, w);
        }
        return result.MoveToOuterDisposeScope();
    }
}
