#ifndef PUBMED_MIRROR_CLIBXML2_SHIM_H
#define PUBMED_MIRROR_CLIBXML2_SHIM_H
// Debian's libxml2 is built with ICU, and its headers then include the system ICU, whose
// UErrorCode clashes with Foundation's own ICU module. No API we use needs ICU: hide it.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/SAX2.h>
#include <libxml/xmlreader.h>
#endif
