using SkiaSharp;

namespace MLNet.CSP.Web;

/// <summary>
/// Reads an uploaded image from a request: the body itself (<c>image/*</c> or <c>application/octet-stream</c>) or the field
/// <c>image</c> of a multipart form. Every problem becomes a message for a 400 answer, never an exception that reaches the host.
/// </summary>
public static class Upload
{
    /// <summary>The upload's bytes, or what is wrong with the request.</summary>
    public static async Task<(byte[]? Bytes, string? Error)> ReadAsync(HttpRequest request, ServeOptions options, CancellationToken token)
    {
        long limit = options.MaxUploadBytes;
        if (request.ContentLength > limit) return (null, $"The upload is {request.ContentLength} bytes; the limit is {limit} bytes.");
        Stream body;
        IFormFile? file = null;
        if (request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(token);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
            {
                return (null, $"The multipart form could not be read: {e.Message}");
            }
            file = form.Files.GetFile("image");
            if (file is null) return (null, "The form has no file field 'image'.");
            if (file.Length > limit) return (null, $"The upload is {file.Length} bytes; the limit is {limit} bytes.");
            body = file.OpenReadStream();
        }
        else if (request.ContentType is { } type && !IsImageType(type))
        {
            return (null, $"Content-Type '{type}' is not an image: send image/png, image/jpeg, application/octet-stream, or a multipart form with a field 'image'.");
        }
        else
        {
            body = request.Body;
        }
        await using (body)
        {
            var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, token)) > 0)
            {
                if (buffer.Length + read > limit) return (null, $"The upload is larger than the limit of {limit} bytes.");
                buffer.Write(chunk, 0, read);
            }
            if (buffer.Length == 0) return (null, "The upload is empty: send the image's bytes as the request body or a form field 'image'.");
            var bytes = buffer.ToArray();
            return Measure(bytes, options.MaxPixels) is { } problem ? (null, problem) : (bytes, null);
        }
    }

    private static bool IsImageType(string contentType)
    {
        var media = contentType.Split(';')[0].Trim();
        return media.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || media.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Null when the bytes are an image of acceptable size (from its header: nothing is decoded); else why not.</summary>
    private static string? Measure(byte[] bytes, long maxPixels)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null) return $"The {bytes.Length} bytes uploaded are not an image (no PNG, JPEG, BMP, GIF or WEBP decoder recognises them).";
        long pixels = (long)codec.Info.Width * codec.Info.Height;
        if (pixels <= 0) return "The image has no pixels.";
        return pixels > maxPixels ? $"The image is {codec.Info.Width}x{codec.Info.Height} pixels; the limit is {maxPixels} pixels." : null;
    }
}
